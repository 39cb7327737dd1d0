/**
 * The privileged `courier://` protocol. The renderer is served from `courier://app/` (a real
 * origin, so its decode workers and WebAssembly codecs load as they do over HTTP), and
 * `courier://app/instances/<id>` serves the file of an instance to the image loader — same
 * origin, no CORS. Only ids cross; never paths.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { toErrorShape } from '../../shared/errors.ts';
import { instanceIdFromPath, openInstanceBytes } from '../api/instanceBytes.ts';
import { resolveRendererFile } from '../api/rendererFiles.ts';
import type { Services } from '../services.ts';

/** The scheme name and the host the app is served from. */
export const SCHEME = 'courier';
export const APP_ORIGIN = `${SCHEME}://app`;
/** The renderer's start page. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The privileges the scheme is registered with before the app is ready. */
export const SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true } as const;

const stream = (path: string) => Readable.toWeb(createReadStream(path)) as ReadableStream;

/** Handles one protocol request with a fetch-style Response. */
export function createProtocolHandler(services: Services, rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app' || (request.method !== 'GET' && request.method !== 'HEAD')) return new Response('Not found', { status: 404 });
    const id = instanceIdFromPath(url.pathname);
    if (id !== null) {
      try {
        const { size, stream: body } = openInstanceBytes(services, id);
        const headers = { 'Content-Type': 'application/dicom', 'Content-Length': String(size), 'Cache-Control': 'no-store' };
        if (request.method === 'HEAD') body.destroy();
        return new Response(request.method === 'HEAD' ? null : (Readable.toWeb(body) as ReadableStream), { status: 200, headers });
      } catch (err) {
        const e = toErrorShape(err);
        return new Response(e.message, { status: e.code === 'NOT_FOUND' ? 404 : 500 });
      }
    }
    if (url.pathname.startsWith('/instances/')) return new Response('Not found', { status: 404 });
    const found = resolveRendererFile(rendererDir, url.pathname);
    if (!found) return new Response('Not found', { status: 404 });
    return new Response(request.method === 'HEAD' ? null : stream(found.file), { status: 200, headers: found.headers });
  };
}
