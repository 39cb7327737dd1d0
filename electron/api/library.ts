/**
 * Library channels: indexing as a job, and browsing patients → studies → series → instances.
 */
import { indexPath } from '../library/indexer.ts';
import type { Services } from '../services.ts';
import type { Handlers } from './handlers.ts';

/** Handlers of the library channels. */
export function libraryHandlers(
  services: Services,
): Handlers<'library.index' | 'library.patients' | 'library.studies' | 'library.series' | 'library.instances' | 'library.counts' | 'library.conflicts'> {
  const { library, db, jobs, events } = services;
  return {
    'library.index': ({ path }) => {
      const jobId = jobs.start('index', async (ctx) => {
        try {
          return await indexPath(db, library, path, {
            signal: ctx.signal,
            onProgress: (done, total, current) => ctx.progress({ done, total, current }),
          });
        } finally {
          events.emit('library.changed', {});
        }
      });
      return { jobId };
    },
    'library.patients': ({ filter }) => library.patients(filter),
    'library.studies': ({ patientId }) => library.studies(patientId),
    'library.series': ({ studyId }) => library.series(studyId),
    'library.instances': ({ seriesId }) => library.instances(seriesId),
    'library.counts': () => library.counts(),
    'library.conflicts': () => library.conflicts(),
  };
}
