/**
 * The contract implemented over the services: one handler per channel. The Electron shell and
 * the browser host both dispatch through `createDispatcher`, so validation and error mapping
 * happen in exactly one place.
 */
import { channels, isChannelName, type ChannelName, type InvokeResult, type RequestOf, type ResponseOf } from '../../shared/contract/index.ts';
import { CourierError, toErrorShape } from '../../shared/errors.ts';
import { logger } from '../log.ts';
import type { Services } from '../services.ts';
import { appHandlers, type HostEnvironment } from './app.ts';
import { libraryHandlers } from './library.ts';
import { exportHandlers } from './export.ts';
import { viewerHandlers } from './viewer.ts';
import { commitHandlers } from './commit.ts';
import { nodeHandlers } from './nodes.ts';
import { sendHandlers } from './send.ts';

const log = logger('ipc');

/** A handler for one channel: validated request in, response out. */
export type Handler<C extends ChannelName> = (request: RequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>;
/** Handlers for some channels. */
export type Handlers<C extends ChannelName = ChannelName> = { [K in C]: Handler<K> };

/** Builds every channel's handler over the services. */
export function createHandlers(services: Services, host: HostEnvironment): Handlers {
  return {
    ...appHandlers(services, host),
    ...libraryHandlers(services),
    ...exportHandlers(services, host),
    ...viewerHandlers(services),
    ...commitHandlers(services),
    ...nodeHandlers(services),
    ...sendHandlers(services),
    'job.cancel': ({ jobId }) => ({ cancelled: services.jobs.cancel(jobId) }),
  };
}

/** Validates a raw request and runs its handler; never throws, errors come back as `{ code, message }`. */
export function createDispatcher(handlers: Handlers) {
  return async (channel: unknown, rawRequest: unknown): Promise<InvokeResult<unknown>> => {
    try {
      if (!isChannelName(channel)) throw new CourierError('UNKNOWN_CHANNEL', `Unknown channel ${String(channel).slice(0, 100)}`);
      const request = channels[channel].request(rawRequest, 'request');
      const handler = handlers[channel] as (req: unknown) => unknown;
      return { ok: true, value: await handler(request) };
    } catch (err) {
      const error = toErrorShape(err);
      if (error.code === 'INTERNAL') log.error(`${String(channel).slice(0, 64)} failed:`, err);
      return { ok: false, error };
    }
  };
}
