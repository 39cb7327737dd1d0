/**
 * Raw inflate (RFC 1951) in the page and its workers, never past a limit: deflated datasets (PS3.5
 * A.5) and Deflated Image Frame Compression frames.
 */
import { Inflate } from 'pako';

/** `data` inflated, or null when it inflates to more than `limit` bytes; throws when it is not valid deflate data. */
export function inflateAtMost(data: Uint8Array, limit: number): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const tooMuch = new Error('too much');
  const inflator = new Inflate({ raw: true });
  inflator.onData = (chunk) => {
    total += chunk.length;
    if (total > limit) throw tooMuch;
    chunks.push(chunk);
  };
  try {
    inflator.push(data, true);
  } catch (err) {
    if (err === tooMuch) return null;
    throw err;
  }
  if (inflator.err) throw new Error(`it is not valid deflate data (${inflator.msg})`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
