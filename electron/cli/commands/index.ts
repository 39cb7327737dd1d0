/**
 * `courier index <folder> [--json]`: index a folder, DICOMDIR or CD into the library.
 */
import { indexPath } from '../../library/indexer.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';

/** The index command. */
export const indexCommand: Command = {
  name: 'index',
  usage: 'index <folder|DICOMDIR|file> [--json]',
  valued: [],
  needs: 'library',
  async run(args, { services, out, signal, progress }) {
    if (args.positionals.length !== 1) throw new UsageError('index takes one folder');
    const started = performance.now();
    const summary = await indexPath(services.db, services.library, args.positionals[0], {
      signal,
      onProgress: (done, total) => progress(`indexed ${done}/${total} files`),
    });
    const seconds = (performance.now() - started) / 1000;
    if (args.flags.has('json')) {
      const { patients, studies, series, instances, unfiled, errors } = summary;
      out.json({ patients, studies, series, instances, unfiled, errors });
    } else {
      out.line(`${summary.patients} patients, ${summary.studies} studies, ${summary.series} series, ${summary.instances} instances${summary.unfiled ? ` (${summary.unfiled} unfiled: no Study or Series Instance UID)` : ''}`);
      out.line(`${summary.filesRead} files read, ${summary.filesUnchanged} unchanged, in ${seconds.toFixed(2)} s`);
      for (const e of summary.errors) out.line(`error: ${e.path}: ${e.message}`);
    }
    return 0;
  },
};
