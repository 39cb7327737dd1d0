/**
 * Storage commitment channels: the transaction history, instances and per-study summaries of a
 * transaction, the deletion audit log, re-requests, and the accepter's state.
 */
import { CourierError } from '../../shared/errors.ts';
import type { Services } from '../services.ts';
import type { Handlers } from './handlers.ts';
import { logger } from '../log.ts';

const log = logger('commit');

/** Handlers of the commit channels. */
export function commitHandlers(
  services: Services,
): Handlers<
  'commit.transactions' | 'commit.instances' | 'commit.studies' | 'commit.deletions' | 'commit.rerequest' | 'commit.requestForSendJob' | 'commit.resend' | 'commit.accepter'
> {
  const { commit, workflow } = services;
  const known = (transactionId: number) => {
    if (!commit.store.byId(transactionId)) throw new CourierError('NOT_FOUND', `No commitment transaction ${transactionId}`);
  };
  return {
    'commit.transactions': ({ limit }) => commit.store.transactions(limit ?? 100),
    'commit.instances': ({ transactionId, problemsFirst }) => {
      known(transactionId);
      return commit.store.instanceRows(transactionId, { problemsFirst });
    },
    'commit.studies': ({ transactionId }) => {
      known(transactionId);
      return commit.store.studySummaries(transactionId);
    },
    'commit.deletions': ({ limit }) => commit.store.deletions(limit ?? 1000),
    'commit.rerequest': async ({ transactionId }) => {
      known(transactionId);
      let t;
      try {
        t = await commit.rerequest(transactionId);
      } catch (err) {
        throw new CourierError('CONFLICT', err instanceof Error ? err.message : String(err));
      }
      // Wait for the report in the background, like every other transaction.
      void commit.settle([t.id]).catch((err) => log.error('settle failed:', err));
      return { transactionId: t.id, transactionUid: t.transactionUid };
    },
    'commit.requestForSendJob': async ({ sendJobId, deleteAfterCommit }) => ({ transactionIds: await workflow.requestForJob(sendJobId, deleteAfterCommit) }),
    'commit.resend': ({ transactionId }) => ({ sendJobId: workflow.resend(transactionId) }),
    'commit.accepter': () => {
      const a = commit.listening;
      return { listening: Boolean(a), aeTitle: commit.aeTitle, port: a?.port ?? null, message: commit.accepterProblem };
    },
  };
}
