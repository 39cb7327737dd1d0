/**
 * The renderer's one door to the main process: window.courier when the Electron preload put it
 * there, else the browser host's WebSocket (token from this page's URL). No other module touches
 * either.
 */
import type { ChannelName, CourierApi, EventName, Events, InvokeResult, RequestOf, ResponseOf } from '../../shared/contract/index.ts';
import type { CourierErrorShape } from '../../shared/errors.ts';

declare global {
  interface Window {
    courier?: CourierApi;
  }
}

/** A failed call, with the main process's error code. */
export class ApiError extends Error {
  readonly code: CourierErrorShape['code'];
  constructor(shape: CourierErrorShape) {
    super(shape.message);
    this.name = 'ApiError';
    this.code = shape.code;
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** The contract over the browser host's WebSocket (see electron/host/server.ts for the wire format). */
function webSocketApi(): CourierApi {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? '';
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;

  const connect = (): Promise<WebSocket> => {
    if (ready) return ready;
    ready = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new ApiError({ code: 'NETWORK', message: 'The Courier host cannot be reached (is `courier serve` still running?)' }));
      ws.onclose = () => {
        socket = null;
        ready = null;
        for (const p of pending.values()) p.reject(new ApiError({ code: 'NETWORK', message: 'The connection to the Courier host closed' }));
        pending.clear();
      };
      ws.onmessage = (e: MessageEvent<string>) => {
        const msg = JSON.parse(e.data) as
          | { type: 'result'; id: number; result: InvokeResult<unknown> }
          | { type: 'event'; event: EventName; payload: unknown };
        if (msg.type === 'result') {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if (!p) return;
          if (msg.result.ok) p.resolve(msg.result.value);
          else p.reject(new ApiError(msg.result.error));
        } else if (msg.type === 'event') {
          for (const l of listeners.get(msg.event) ?? []) (l as (payload: unknown) => void)(msg.payload);
        }
      };
    });
    ready.catch(() => (ready = null));
    return ready;
  };

  return {
    async invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
      const ws = socket ?? (await connect());
      const id = nextId++;
      return new Promise<ResponseOf<C>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ type: 'invoke', id, channel, request }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      void connect().catch(() => undefined);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    instanceUrl(instanceId: number): string {
      return `${location.origin}/instances/${instanceId}?token=${encodeURIComponent(token)}`;
    },
  };
}

/** The API of this window. */
export const courier: CourierApi = window.courier ?? webSocketApi();

/** True when the app runs in the browser host (no native dialogs). */
export const inBrowserHost = !window.courier;

/** Shorthand for `courier.invoke`. */
export function invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  return courier.invoke(channel, request);
}

/** A human message for anything a call threw. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
