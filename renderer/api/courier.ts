/**
 * The renderer's one door to the main process: window.courier when the Electron preload put it
 * there, else the browser host's WebSocket (token from this page's URL fragment). No other module touches
 * either.
 */
import type { ChannelName, CourierApi, EventName, Events, InvokeResult, RequestOf, ResponseOf } from '../../shared/contract/index.ts';
import { HOST_PROTOCOL, instanceCapability, TOKEN_PROTOCOL_PREFIX } from '../../shared/capability.ts';
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

const TOKEN_KEY = 'courier.token';

/**
 * The browser host's token: from the fragment of the URL `courier serve` printed (`#token=…`, which
 * the browser never sends to a server), kept in this tab's sessionStorage for reloads, and taken out
 * of the address bar and history at once.
 */
function hostToken(): string {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return given ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** The contract over the browser host's WebSocket (see electron/host/server.ts for the wire format). */
function webSocketApi(): CourierApi {
  const token = hostToken();
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;

  const connect = (): Promise<WebSocket> => {
    if (ready) return ready;
    ready = new Promise<WebSocket>((resolve, reject) => {
      if (!token) {
        reject(new ApiError({ code: 'NETWORK', message: 'This page needs its access token: open the address `courier serve` printed (it ends in #token=…)' }));
        return;
      }
      // The token rides in a subprotocol: not in the URL, and no cookie (other servers on 127.0.0.1 would get it).
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, [HOST_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]);
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
      // A capability for this one image, not the token (shared/capability.ts).
      return `${location.origin}/instances/${instanceId}?cap=${instanceCapability(token, instanceId)}`;
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
