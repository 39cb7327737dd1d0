/**
 * Serving the built renderer (dist/renderer) — one set of rules for the Electron protocol and the
 * browser host: content types, path confinement, and each file's Content-Security-Policy.
 */
import { statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** The Content-Security-Policy of the renderer's pages (also in index.html). No eval, no blob: workers. */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The decode workers' own CSP (*.worker.js): they fetch and compile the codecs' WebAssembly; neither
 * they nor the page may eval. */
export const DECODE_WORKER_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";

/** A renderer file ready to serve. */
export interface RendererFile {
  file: string;
  size: number;
  headers: Record<string, string>;
}

/** Resolves a URL path to a file under `root` with its headers; null when outside `root` or missing. */
export function resolveRendererFile(root: string, pathname: string): RendererFile | null {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname));
  } catch {
    return null;
  }
  const file = join(root, rel);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return null;
    size = st.size;
  } catch {
    return null;
  }
  const headers: Record<string, string> = {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(size),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  };
  if (extname(file) === '.html') headers['Content-Security-Policy'] = RENDERER_CSP;
  if (file.endsWith('.worker.js')) headers['Content-Security-Policy'] = DECODE_WORKER_CSP;
  return { file, size, headers };
}
