/**
 * `courier serve [--port <p>] [--open <folder>] [--listen <port>]`: the browser host. Prints its URL
 * (with the access token) as one line on stdout and runs until SIGINT/SIGTERM. With --open, the
 * folder is indexed first and the page opens on its first series. As the app does at start, send
 * jobs and commitment transactions a quit or crash interrupted go on; with --listen, the storage
 * commitment accepter listens on that port (the app uses the one in Settings; several hosts, as in
 * tests, would contend for it).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { CourierError } from '../../../shared/errors.ts';
import { APP_ROOT, appVersion } from '../../appRoot.ts';
import { indexPath } from '../../library/indexer.ts';
import { startHost } from '../../host/server.ts';
import { startBackgroundWork } from '../../services.ts';
import type { LibraryStore } from '../../store/library.ts';
import type { Command } from '../command.ts';
import { intOption, UsageError, value } from '../args.ts';

/** The serve command. */
export const serveCommand: Command = {
  name: 'serve',
  usage: 'serve [--port <p>] [--open <folder>] [--listen <port>]',
  valued: ['port', 'open', 'listen'],
  async run(args, { services, out, signal, progress }) {
    if (args.positionals.length) throw new UsageError('serve takes no positional arguments');
    const port = intOption(args, 'port', 0, 0, 65535);
    const listen = value(args, 'listen') === undefined ? null : intOption(args, 'listen', 0, 1, 65535);
    const open = value(args, 'open');
    // The launcher (bin/courier.mjs) builds the renderer when it is stale and says where.
    const rendererDir = process.env.COURIER_RENDERER_DIR || join(APP_ROOT, 'dist', 'renderer');
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new CourierError('NOT_FOUND', `The app's pages are not built in ${rendererDir}: run \`npm run build\` (or start serve with \`npm run courier -- serve\`, which builds them).`);
    }
    let seriesId: number | null = null;
    if (open) {
      const summary = await indexPath(services.db, services.library, open, {
        signal,
        onProgress: (done, total) => progress(`indexed ${done}/${total} files`),
      });
      process.stderr.write(`indexed ${open}: ${summary.series} series, ${summary.instances} instances, ${summary.errors.length} errors\n`);
      seriesId = firstSeriesUnder(services.library, open);
    }
    if (signal.aborted) return 130;
    const version = appVersion();
    const host = await startHost({ services, rendererDir, version, port });
    startBackgroundWork(services, listen);
    out.line(host.pageUrl(seriesId === null ? {} : { series: String(seriesId) }));
    await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
    await host.close();
    return 0;
  },
};

/** The first series (library order, images before non-image objects) with an instance from a file under `target`. */
export function firstSeriesUnder(library: LibraryStore, target: string): number | null {
  const root = resolve(target);
  const prefix = statSync(root).isDirectory() ? (root.endsWith(sep) ? root : root + sep) : root;
  const ids = new Set<number>();
  for (const k of library.knownPaths(prefix).values()) if (k.instanceId !== null) ids.add(k.instanceId);
  // A DICOMDIR may reference files outside the prefix only in broken file-sets; fall back to the library's first.
  let fallback: number | null = null;
  for (const p of library.patients()) {
    for (const st of library.studies(p.id)) {
      for (const se of library.series(st.id)) {
        const instances = library.instances(se.id);
        const ours = ids.size === 0 || instances.some((i) => ids.has(i.id));
        if (!ours) continue;
        if (instances.some((i) => i.hasPixels)) return se.id;
        fallback ??= se.id;
      }
    }
  }
  return fallback;
}
