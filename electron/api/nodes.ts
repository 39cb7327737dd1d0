/**
 * Node channels: the remote AEs, our own AE, and "Test connection" (C-ECHO).
 */
import { CourierError } from '../../shared/errors.ts';
import { echoOutcome } from '../dimse/echo.ts';
import { inWords } from '../nodes/peerFailure.ts';
import type { Services } from '../services.ts';
import type { Handlers } from './handlers.ts';

/** Handlers of the node channels. */
export function nodeHandlers(services: Services): Handlers<'nodes.list' | 'nodes.save' | 'nodes.remove' | 'nodes.echo' | 'nodes.local' | 'nodes.setLocal'> {
  const { nodes } = services;
  return {
    'nodes.list': () => nodes.list(),
    'nodes.save': (req) => nodes.save(req),
    'nodes.remove': ({ id }) => ({ removed: nodes.remove(id) }),
    'nodes.echo': async (req) => {
      let target: { aeTitle: string; host: string; port: number; tls: boolean } | null;
      if (req.id !== undefined) {
        target = nodes.get(req.id);
        if (!target) throw new CourierError('NOT_FOUND', `No node ${req.id}`);
      } else {
        if (!req.aeTitle || !req.host || !req.port) throw new CourierError('BAD_REQUEST', 'Give a node id, or an AE title, host and port');
        target = { aeTitle: req.aeTitle, host: req.host, port: req.port, tls: req.tls ?? false };
      }
      const local = nodes.local();
      const outcome = await echoOutcome(target, local.aeTitle, target.tls ? local.tls : undefined);
      // "could not connect to … — connection refused", not "connect ECONNREFUSED …".
      return outcome.ok ? outcome : { ...outcome, message: inWords(outcome.message, target) };
    },
    'nodes.local': () => nodes.local(),
    'nodes.setLocal': async (req) => {
      const saved = nodes.setLocal(req);
      // The accepter follows our new AE title and port at once (no restart of the app).
      await services.commit.applyLocalAe(saved);
      return saved;
    },
  };
}
