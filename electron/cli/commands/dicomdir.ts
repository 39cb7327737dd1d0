/**
 * `courier dicomdir <folder>... --out <dir> [--profile STD-GEN-CD|…] [--fileset-id ID] [--iso <file>] [--json]`:
 * export folders (or DICOMDIRs, or files) as a DICOMDIR file-set. The files are read where they are;
 * the library is left as it was (the app exports from the library instead).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExportError } from '../../../shared/contract/index.ts';
import { CourierError } from '../../../shared/errors.ts';
import { appVersion } from '../../appRoot.ts';
import { DEFAULT_PROFILE, PROFILES } from '../../dicomdir/profiles.ts';
import { fsReason } from '../../dicom/files.ts';
import { filesToRead, isDicomdirName } from '../../library/scan.ts';
import { UsageError, value } from '../args.ts';
import type { Command } from '../command.ts';

/** The dicomdir command. */
export const dicomdirCommand: Command = {
  name: 'dicomdir',
  usage: `dicomdir <folder>... --out <dir> [--profile ${[...PROFILES.keys()].join('|')}] [--fileset-id <ID>] [--iso <file.iso>] [--json]`,
  valued: ['out', 'profile', 'fileset-id', 'iso'],
  needs: 'library',
  noServices: true,
  async run(args, { out, signal, progress }) {
    const target = value(args, 'out');
    if (!args.positionals.length) throw new UsageError('dicomdir needs at least one folder');
    if (!target) throw new UsageError('dicomdir needs --out <dir>');
    const profile = value(args, 'profile') ?? DEFAULT_PROFILE;
    if (!PROFILES.has(profile)) throw new UsageError(`unknown profile ${profile}`);
    // What to read, as indexing would: a DICOMDIR's references, or every file below a folder.
    const files = new Set<string>();
    const errors: ExportError[] = [];
    const onError = (path: string, message: string) => errors.push({ path, message: `not exported: ${message}` });
    for (const input of args.positionals) {
      const given = resolve(input);
      let isDirectory: boolean;
      try {
        isDirectory = statSync(given).isDirectory();
      } catch (err) {
        throw new CourierError('NOT_FOUND', `${input} cannot be read: ${fsReason(err)}; nothing was exported`);
      }
      // A DICOMDIR found in a walk is the index of files also found: not an instance of its own.
      for (const path of filesToRead(given, isDirectory, onError)) if (!isDicomdirName(path)) files.add(path);
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
        application: `Courier ${appVersion()}`,
        signal,
        onProgress: (done, total) => progress(`exported ${done}/${total} files`),
        passOverNonDicom: true,
      },
      errors,
    );
    if (args.flags.has('json')) {
      out.json({
        dicomdir: result.dicomdir,
        profile: result.profile,
        instances: result.instances,
        transcoded: result.transcoded,
        skipped: result.skipped ?? 0,
        errors: result.errors,
        filled: result.filled,
        ...(result.iso ? { iso: result.iso } : {}),
      });
    } else {
      out.line(`${result.dicomdir}: ${result.instances} instances (${result.profile}), ${result.transcoded} transcoded, ${result.skipped ?? 0} non-DICOM files skipped, in ${result.seconds.toFixed(2)} s`);
      for (const n of result.notes) out.line(`transcoded: ${n.path}: ${n.message}`);
      for (const f of result.filled) out.line(`filled: ${f.record} ${f.key} = "${f.value}" (missing in ${f.path})`);
      for (const e of result.errors) out.line(`error: ${e.path}: ${e.message}`);
      if (result.iso) out.line(`ISO image: ${result.iso}`);
    }
    return 0;
  },
};
