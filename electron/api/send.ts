/**
 * Send channels: queue a selection for a node, list jobs, their instances, studies and stored files,
 * pause, resume, cancel, retry failed, remove.
 */
import { CourierError } from '../../shared/errors.ts';
import { commitmentAsked } from '../../shared/contract/send.ts';
import type { Services } from '../services.ts';
import { foldersOf } from '../send/plan.ts';
import type { Handlers } from './handlers.ts';

/** Handlers of the send channels. */
export function sendHandlers(
  services: Services,
): Handlers<'send.plan' | 'send.start' | 'send.jobs' | 'send.instances' | 'send.studies' | 'send.stored' | 'send.pause' | 'send.resume' | 'send.cancel' | 'send.retryFailed' | 'send.remove'> {
  const { send } = services;
  const known = (id: number) => {
    if (!send.store.job(id)) throw new CourierError('NOT_FOUND', `No send job ${id}`);
  };
  return {
    'send.plan': ({ choice, ...selection }) => send.plan(selection, choice),
    'send.start': ({ allowTranscode, choice, commit, ...scope }) => ({ sendJobId: send.queueSelection(scope, { allowTranscode, choice, commit }) }),
    'send.jobs': ({ limit }) => send.store.jobs(limit ?? 100),
    'send.instances': ({ sendJobId, state, problemsFirst, offset, limit }) => {
      known(sendJobId);
      return send.store.instances(sendJobId, { state, problemsFirst, offset, limit: limit ?? 1000 });
    },
    'send.studies': ({ sendJobId }) => {
      known(sendJobId);
      return send.store.studies(sendJobId);
    },
    'send.stored': ({ sendJobId }) => {
      known(sendJobId);
      const stored = send.store.stored(sendJobId);
      return { files: stored.length, bytes: stored.reduce((n, f) => n + f.size, 0), folders: foldersOf(stored) };
    },
    'send.pause': ({ sendJobId }) => {
      known(sendJobId);
      return { ok: send.pause(sendJobId) };
    },
    'send.resume': ({ sendJobId }) => ({ ok: send.resume(sendJobId) }),
    'send.cancel': ({ sendJobId }) => {
      known(sendJobId);
      return { ok: send.cancel(sendJobId) };
    },
    'send.retryFailed': ({ sendJobId }) => {
      known(sendJobId);
      return { requeued: send.retryFailed(sendJobId) };
    },
    'send.remove': ({ sendJobId }) => {
      known(sendJobId);
      if (commitmentAsked(send.store.job(sendJobId)?.commit)) {
        throw new CourierError('CONFLICT', 'Storage commitment of this job is still being asked for (its files are deleted as they are committed): remove it once the PACS has reported');
      }
      return { removed: send.store.remove(sendJobId) };
    },
  };
}
