/**
 * `courier echo <AE>@<host>:<port> [--ae <calling AE>] [--tls …] [--json]`: C-ECHO (Verification, PS3.4 Annex A),
 * over TLS when asked or when the node is saved as a TLS node (tlsOptions.ts).
 */
import { aeTitleProblem, parseNodeAddress } from '../../../shared/dicomValues.ts';
import { echoOutcome } from '../../dimse/echo.ts';
import type { Command } from '../command.ts';
import { UsageError, value } from '../args.ts';
import { TLS_USAGE, TLS_VALUED, tlsFilesFor } from '../tlsOptions.ts';

/** The echo command. */
export const echoCommand: Command = {
  name: 'echo',
  usage: `echo <AE>@<host>:<port> [--ae <calling AE>] ${TLS_USAGE} [--json]`,
  valued: ['ae', ...TLS_VALUED],
  async run(args, { services, out }) {
    if (args.positionals.length !== 1) throw new UsageError('echo takes one AE@host:port');
    let target;
    try {
      target = parseNodeAddress(args.positionals[0]);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const callingAe = value(args, 'ae') ?? services.nodes.local().aeTitle;
    const problem = aeTitleProblem(callingAe);
    if (problem) throw new UsageError(`--ae: ${problem}`);
    const node = services.nodes.find(target.aeTitle, target.host, target.port);
    const tls = tlsFilesFor(args, services.nodes.local().tls, node?.tls ?? false);
    const r = await echoOutcome(target, callingAe, tls ?? undefined);
    if (args.flags.has('json')) out.json({ ok: r.ok, message: r.message, ms: r.ms, tls: !!tls });
    else out.line(`${r.ok ? 'ok' : 'failed'}: ${target.aeTitle}@${target.host}:${target.port}${tls ? ' (TLS)' : ''}: ${r.message} (${r.ms} ms)`);
    return r.ok ? 0 : 1;
  },
};
