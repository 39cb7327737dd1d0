/**
 * The browser host: serves the built renderer and the contract (over a WebSocket) on 127.0.0.1,
 * so the real UI runs in any browser on this machine (and in headless Chromium for the end-to-end
 * tests).
 *
 * Access: a random per-run token, handed to the person in the URL's fragment (`/#token=…`, never sent
 * over HTTP; the page keeps it in sessionStorage). No cookie: cookies ignore ports, so every other
 * server on 127.0.0.1 would receive it. The page's files are public (they hold no data); the
 * WebSocket carries the token as a subprotocol (`courier.token.<token>`); an instance's bytes need
 * that instance's capability (`/instances/<id>?cap=…`, shared/capability.ts), which opens that image
 * only. Host and Origin are checked on every request (DNS rebinding, other sites' pages).
 *
 * Wire format (JSON text messages):
 *   client → host  {"type":"invoke","id":n,"channel":"…","request":…}
 *   host → client  {"type":"result","id":n,"result":{"ok":true,"value":…}|{"ok":false,"error":{code,message}}}
 *                  {"type":"event","event":"…","payload":…}
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOST_PROTOCOL, instanceCapability, TOKEN_PROTOCOL_PREFIX } from '../../shared/capability.ts';
import { toErrorShape } from '../../shared/errors.ts';
import { createDispatcher, createHandlers } from '../api/handlers.ts';
import { instanceIdFromPath, openInstanceBytes } from '../api/instanceBytes.ts';
import { DECODE_WORKER_CSP, RENDERER_CSP, resolveRendererFile } from '../api/rendererFiles.ts';
import type { Services } from '../services.ts';
import { acceptWebSocket, type WebSocketConnection } from './websocket.ts';

/** Options of the browser host. */
export interface HostOptions {
  services: Services;
  /** The folder holding the built renderer (index.html and its bundle). */
  rendererDir: string;
  version: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A fixed token (tests); default: 32 random bytes. */
  token?: string;
}

/** A running browser host. */
export interface Host {
  port: number;
  token: string;
  /** The address to open: http://127.0.0.1:<port>/#token=… */
  url: string;
  /** The address to open with a query for the page (e.g. `{ series: '3' }`): http://127.0.0.1:<port>/?series=3#token=… */
  pageUrl(query?: Record<string, string>): string;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** The renderer's CSPs live with the file rules (electron/api/rendererFiles.ts); re-exported for tests. */
export { DECODE_WORKER_CSP, RENDERER_CSP };

/** Starts the browser host on 127.0.0.1. */
export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const dispatch = createDispatcher(createHandlers(opts.services, { kind: 'browser', version: opts.version }));
  const clients = new Set<WebSocketConnection>();
  let port = 0;

  const same = (given: string | null | undefined, expected: string): boolean => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  /** The token among the WebSocket subprotocols the page offered, next to ours. */
  const protocolTokenOk = (req: IncomingMessage): boolean => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const given = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
    return offered.includes(HOST_PROTOCOL) && same(given, token);
  };
  // DNS rebinding: only our own address may be named in Host; Origin, when sent, must be ours.
  const hostOk = (req: IncomingMessage) => req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
  const originOk = (req: IncomingMessage, required: boolean) => {
    const origin = req.headers.origin;
    if (origin === undefined) return !required;
    return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!hostOk(req) || !originOk(req, false)) return forbidden(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const instanceId = instanceIdFromPath(url.pathname);
    if (instanceId !== null && url.pathname.startsWith('/instances/')) {
      if (!same(url.searchParams.get('cap'), instanceCapability(token, instanceId))) return forbidden(res);
      return serveInstance(opts.services, instanceId, req, res);
    }
    return serveStatic(opts.rendererDir, url.pathname, req, res);
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/ws' || !hostOk(req) || !originOk(req, true) || !protocolTokenOk(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const conn = acceptWebSocket(req, socket, head, HOST_PROTOCOL);
    if (!conn) return;
    clients.add(conn);
    conn.onClose(() => clients.delete(conn));
    conn.onMessage(async (text) => {
      let msg: { type?: unknown; id?: unknown; channel?: unknown; request?: unknown };
      try {
        msg = JSON.parse(text);
      } catch {
        return conn.close(1007, 'messages must be JSON');
      }
      if (msg.type !== 'invoke' || typeof msg.id !== 'number') return conn.close(1008, 'unexpected message');
      const result = await dispatch(msg.channel, msg.request);
      conn.send(JSON.stringify({ type: 'result', id: msg.id, result }));
    });
  });

  const unsubscribe = opts.services.events.onAny((event, payload) => {
    const text = JSON.stringify({ type: 'event', event, payload });
    for (const c of clients) c.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const pageUrl = (query: Record<string, string> = {}) => {
    const search = new URLSearchParams(query).toString();
    return `http://127.0.0.1:${port}/${search ? `?${search}` : ''}#token=${token}`;
  };
  return {
    port,
    token,
    url: pageUrl(),
    pageUrl,
    async close() {
      unsubscribe();
      for (const c of clients) c.close(1001, 'host stopping');
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function forbidden(res: ServerResponse): void {
  send(res, 403, 'Forbidden: open the URL that `courier serve` printed (it carries the access token), in a browser on this machine.');
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function serveInstance(services: Services, instanceId: number, req: IncomingMessage, res: ServerResponse): void {
  try {
    const { size, stream } = openInstanceBytes(services, instanceId);
    res.writeHead(200, { 'Content-Type': 'application/dicom', 'Content-Length': size, 'Cache-Control': 'no-store' });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  } catch (err) {
    const e = toErrorShape(err);
    send(res, e.code === 'NOT_FOUND' ? 404 : 500, e.message);
  }
}

function serveStatic(root: string, pathname: string, req: IncomingMessage, res: ServerResponse): void {
  const found = resolveRendererFile(root, pathname);
  if (!found) return send(res, 404, 'Not found');
  res.writeHead(200, found.headers);
  if (req.method === 'HEAD') return void res.end();
  createReadStream(found.file).on('error', () => res.destroy()).pipe(res);
}
