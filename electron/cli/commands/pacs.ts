/**
 * `courier pacs`: the built-in test PACS (Storage SCP + Storage Commitment SCP) for demos and
 * tests. Runs until interrupted; prints one line per event (or nothing with --quiet).
 */
import { resolve } from 'node:path';
import { startPacs, parseFailures, type Delivery } from '../../pacs/pacs.ts';
import { aeTitleProblem, parseNodeAddress } from '../../../shared/dicomValues.ts';
import type { Command } from '../command.ts';
import { intOption, UsageError, value } from '../args.ts';

/** The pacs command. */
export const pacsCommand: Command = {
  name: 'pacs',
  usage:
    'pacs [--port <p>] [--ae <AE>] [--dir <folder>] [--commit-delivery same|new|next] [--reply-to <AE>@<host>:<port>] [--commit-delay <ms>] [--fail <sopInstanceUid>[:0xREASON]...] [--host <address>] [--json]',
  valued: ['port', 'ae', 'dir', 'commit-delivery', 'reply-to', 'commit-delay', 'fail', 'host'],
  noServices: true,
  async run(args, { out, signal }) {
    const aeTitle = value(args, 'ae') ?? 'PACS';
    const aeProblem = aeTitleProblem(aeTitle);
    if (aeProblem) throw new UsageError(aeProblem);
    const delivery = (value(args, 'commit-delivery') ?? 'same') as Delivery;
    if (!['same', 'new', 'next'].includes(delivery)) throw new UsageError('--commit-delivery must be same, new or next');
    let replyTo;
    const replyText = value(args, 'reply-to');
    if (replyText) {
      try {
        replyTo = parseNodeAddress(replyText);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    if (delivery === 'new' && !replyTo) throw new UsageError('--commit-delivery new needs --reply-to <AE>@<host>:<port>');
    const fail = parseFailures(args.values.get('fail') ?? []);
    for (const [uid, reason] of fail) if (!Number.isInteger(reason) || reason < 0 || reason > 0xffff) throw new UsageError(`bad failure reason for ${uid}`);
    const json = args.flags.has('json');
    const pacs = await startPacs({
      port: intOption(args, 'port', 11112, 0, 65535),
      host: value(args, 'host') ?? '127.0.0.1',
      aeTitle,
      dir: resolve(value(args, 'dir') ?? 'courier-pacs'),
      delivery,
      replyTo,
      delayMs: intOption(args, 'commit-delay', 0, 0, 3_600_000),
      fail,
      // With --json, stdout carries one object (where it listens); the event lines go to stderr.
      log: (line) => (json ? process.stderr.write(line + '\n') : out.line(line)),
    });
    if (json) out.json({ listening: true, port: pacs.port, aeTitle });
    await new Promise<void>((done) => {
      if (signal.aborted) return done();
      signal.addEventListener('abort', () => done(), { once: true });
    });
    await pacs.close();
    return 0;
  },
};
