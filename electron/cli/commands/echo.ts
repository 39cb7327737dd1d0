/**
 * `courier echo <AE>@<host>:<port> [--ae <calling AE>] [--json]`: C-ECHO (Verification, PS3.4 Annex A).
 */
import { aeTitleProblem, parseNodeAddress } from '../../../shared/dicomValues.ts';
import { echoOutcome } from '../../api/nodes.ts';
import type { Command } from '../command.ts';
import { UsageError, value } from '../args.ts';

/** The echo command. */
export const echoCommand: Command = {
  name: 'echo',
  usage: 'echo <AE>@<host>:<port> [--ae <calling AE>] [--json]',
  valued: ['ae'],
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
    const r = await echoOutcome(target, callingAe);
    if (args.flags.has('json')) out.json({ ok: r.ok, message: r.message, ms: r.ms });
    else out.line(`${r.ok ? 'ok' : 'failed'}: ${target.aeTitle}@${target.host}:${target.port}: ${r.message} (${r.ms} ms)`);
    return r.ok ? 0 : 1;
  },
};
