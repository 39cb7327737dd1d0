/**
 * `courier dicomdir <folder>... --out <dir> [--profile STD-GEN-CD|…] [--fileset-id ID] [--iso <file>] [--json]`:
 * export folders (indexed into the library first) as a DICOMDIR file-set.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import type { ExportError } from '../../../shared/contract/index.ts';
import { DEFAULT_PROFILE, PROFILES } from '../../dicomdir/profiles.ts';
import { indexPath } from '../../library/indexer.ts';
import { isDicomdirName } from '../../library/scan.ts';
import { UsageError, value } from '../args.ts';
import type { Command } from '../command.ts';

/** The dicomdir command. */
export const dicomdirCommand: Command = {
  name: 'dicomdir',
  usage: `dicomdir <folder>... --out <dir> [--profile ${[...PROFILES.keys()].join('|')}] [--fileset-id <ID>] [--iso <file.iso>] [--json]`,
  valued: ['out', 'profile', 'fileset-id', 'iso'],
  needs: 'library',
  async run(args, { services, out, signal, progress }) {
    const target = value(args, 'out');
    if (!args.positionals.length) throw new UsageError('dicomdir needs at least one folder');
    if (!target) throw new UsageError('dicomdir needs --out <dir>');
    const profile = value(args, 'profile') ?? DEFAULT_PROFILE;
    if (!PROFILES.has(profile)) throw new UsageError(`unknown profile ${profile}`);
    // Each input is indexed first (incrementally), then exported from what the library knows under it.
    const files = new Set<string>();
    const errors: ExportError[] = [];
    for (const input of args.positionals) {
      const summary = await indexPath(services.db, services.library, input, {
        signal,
        onProgress: (done, total) => progress(`indexing ${input}: ${done}/${total} files`),
      });
      errors.push(...summary.errors.map((e) => ({ path: e.path, message: `not exported: ${e.message}` })));
      // A DICOMDIR given as a file stands for its file-set: the files below its folder.
      const given = resolve(input);
      const root = !statSync(given).isDirectory() && isDicomdirName(given) ? dirname(given) : given;
      const prefix = statSync(root).isDirectory() ? (root.endsWith(sep) ? root : root + sep) : root;
      for (const [path, known] of services.library.knownPaths(prefix)) if (known.kind === 'file') files.add(path);
    }
    // Loaded here, not at start-up: the other commands do not need the exporter.
    const { buildFileSet } = await import('../../dicomdir/fileset.ts');
    const result = await buildFileSet(
      [...files].sort(),
      {
        out: target,
        profile,
        fileSetId: value(args, 'fileset-id'),
        iso: value(args, 'iso'),
        application: `Courier ${(createRequire(import.meta.url)('../../../package.json') as { version: string }).version}`,
        signal,
        onProgress: (done, total) => progress(`exported ${done}/${total} files`),
      },
      errors,
    );
    if (args.flags.has('json')) {
      out.json({
        dicomdir: result.dicomdir,
        profile: result.profile,
        instances: result.instances,
        transcoded: result.transcoded,
        errors: result.errors,
        filled: result.filled,
        ...(result.iso ? { iso: result.iso } : {}),
      });
    } else {
      out.line(`${result.dicomdir}: ${result.instances} instances (${result.profile}), ${result.transcoded} transcoded, in ${result.seconds.toFixed(2)} s`);
      for (const n of result.notes) out.line(`transcoded: ${n.path}: ${n.message}`);
      for (const f of result.filled) out.line(`filled: ${f.record} ${f.key} = "${f.value}" (missing in ${f.path})`);
      for (const e of result.errors) out.line(`error: ${e.path}: ${e.message}`);
      if (result.iso) out.line(`ISO image: ${result.iso}`);
    }
    return 0;
  },
};
