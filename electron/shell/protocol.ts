/**
 * The privileged `courier://` protocol: `courier://instances/<id>` serves the file of an
 * instance to the renderer (its image loader fetches it). Only ids cross; never paths.
 */
import { Readable } from 'node:stream';
import { toErrorShape } from '../../shared/errors.ts';
import { instanceIdFromPath, openInstanceBytes } from '../api/instanceBytes.ts';
import type { Services } from '../services.ts';
import { CONTENT_SECURITY_POLICY } from './security.ts';

/** The scheme name. */
export const SCHEME = 'courier';

/** The privileges the scheme is registered with before the app is ready. */
export const SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true } as const;

/** Handles one protocol request with a fetch-style Response. */
export function createProtocolHandler(services: Services): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    // courier://instances/<id>: host "instances", path "/<id>".
    const id = instanceIdFromPath(`/${url.host}${url.pathname}`);
    if (request.method !== 'GET' || id === null) return new Response('Not found', { status: 404 });
    try {
      const { size, stream } = openInstanceBytes(services, id);
      return new Response(Readable.toWeb(stream) as ReadableStream, {
        status: 200,
        headers: {
          'Content-Type': 'application/dicom',
          'Content-Length': String(size),
          'Cache-Control': 'no-store',
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        },
      });
    } catch (err) {
      const e = toErrorShape(err);
      return new Response(e.message, { status: e.code === 'NOT_FOUND' ? 404 : 500 });
    }
  };
}
