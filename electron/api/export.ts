/**
 * Export channels: building a DICOMDIR file-set from a library selection, as a cancellable job.
 */
import { isAbsolute } from 'node:path';
import { EXPORT_PROFILES } from '../../shared/contract/export.ts';
import { CourierError } from '../../shared/errors.ts';
import { buildFileSet, checkTarget, isoSupport } from '../dicomdir/fileset.ts';
import { PROFILES } from '../dicomdir/profiles.ts';
import type { Services } from '../services.ts';
import type { HostEnvironment } from './app.ts';
import type { Handlers } from './handlers.ts';

/** Handlers of the export channels. */
export function exportHandlers(services: Services, host: Pick<HostEnvironment, 'version'>): Handlers<'export.start' | 'export.profiles' | 'export.isoSupport'> {
  return {
    'export.start': ({ patientIds, studyIds, seriesIds, out, profile, fileSetId, iso }) => {
      if (!isAbsolute(out)) throw new CourierError('BAD_REQUEST', `Give the full path of the export folder (not "${out}")`);
      const files = services.library.filesOf({ patientIds, studyIds, seriesIds });
      if (!files.length) throw new CourierError('NOT_FOUND', 'Nothing to export: the selection holds no instances');
      checkTarget(out); // refuse a non-empty target at once, before a job starts
      const jobId = services.jobs.start('export', (ctx) =>
        buildFileSet(
          files.map((f) => f.path),
          {
            out,
            profile,
            fileSetId,
            iso: iso ?? false,
            application: `Courier ${host.version}`,
            signal: ctx.signal,
            onProgress: (done, total, current) => ctx.progress({ done, total, current }),
          },
        ),
      );
      return { jobId };
    },
    'export.profiles': () => EXPORT_PROFILES.map((id) => ({ id, title: PROFILES.get(id)!.title })),
    'export.isoSupport': () => isoSupport(),
  };
}
