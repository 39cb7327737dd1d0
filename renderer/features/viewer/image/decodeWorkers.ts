/**
 * The pool of decode workers (decodeWorker.ts): up to four, started when the first compressed frame
 * needs one, each frame sent to the worker with the fewest frames in hand.
 */
import type { Palette, PixelLayout } from './attributes.ts';
import type { Frame } from './samples.ts';

/** A frame to decode. */
export interface DecodeRequest {
  id: number;
  transferSyntaxUID: string;
  encoded: Uint8Array;
  layout: PixelLayout;
  palette: Palette | null;
}

/** A worker's answer. */
export type DecodeReply = { id: number; frame: Frame; error?: undefined } | { id: number; error: string; frame?: undefined };

/** The worker script, built beside the page's bundle (scripts/buildRenderer.ts). */
export const DECODE_WORKER_FILE = 'decode.worker.js';

interface Slot {
  worker: Worker;
  busy: number;
}

const slots: Slot[] = [];
const pending = new Map<number, { resolve(f: Frame): void; reject(e: Error): void; slot: Slot }>();
let nextId = 1;

function slot(): Slot {
  const max = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  const idle = slots.find((s) => s.busy === 0);
  if (idle || slots.length >= max) return idle ?? slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  const worker = new Worker(new URL(DECODE_WORKER_FILE, location.href));
  const s: Slot = { worker, busy: 0 };
  worker.onmessage = (e: MessageEvent<DecodeReply>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    p.slot.busy--;
    if (e.data.error !== undefined) p.reject(new Error(e.data.error));
    else p.resolve(e.data.frame);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    // A worker that failed to start or crashed: fail what it holds, and start afresh next time.
    slots.splice(slots.indexOf(s), 1);
    worker.terminate();
    for (const [id, p] of pending) {
      if (p.slot !== s) continue;
      pending.delete(id);
      p.reject(new Error(`The decoder stopped: ${e.message || 'the worker failed'}`));
    }
  };
  slots.push(s);
  return s;
}

/** Decodes one compressed frame in a worker; `encoded` is copied, so it may be a view on a cached file. */
export function decodeInWorker(transferSyntaxUID: string, encoded: Uint8Array, layout: PixelLayout, palette: Palette | null): Promise<Frame> {
  const s = slot();
  const id = nextId++;
  const bytes = encoded.slice();
  return new Promise<Frame>((resolve, reject) => {
    pending.set(id, { resolve, reject, slot: s });
    s.busy++;
    const request: DecodeRequest = { id, transferSyntaxUID, encoded: bytes, layout, palette };
    s.worker.postMessage(request, [bytes.buffer]);
  });
}
