/**
 * Raw inflate (RFC 1951) in the page and its workers, never past a limit: deflated datasets (PS3.5
 * A.5) and Deflated Image Frame Compression frames.
 */
import { Inflate } from 'pako';

/** `data` inflated, or null when it inflates to more than `limit` bytes; throws when it is not valid deflate data. */
export function inflateAtMost(data: Uint8Array, limit: number): Uint8Array | null {
  return inflateBoundedBy(data, limit);
}

/** How much deflated input is pushed at a time while the output's bound is not yet known. */
const SLICE = 64 * 1024;

/**
 * `data` inflated no further than it says it needs: `bound` (when given) is asked for the most the
 * output may hold, given what is inflated so far (null until it can tell, e.g. until the Pixel Data
 * element's header is out), and `limit` caps it in any case. Null when the output would pass that;
 * throws when `data` is not valid deflate data. A few KB that claim a small image and inflate to
 * gigabytes stop at once past the claim, not at `limit`.
 */
export function inflateBoundedBy(data: Uint8Array, limit: number, bound?: (inflated: Uint8Array) => number | null): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let max = limit;
  let bounded = false;
  let askAt = 0;
  const tooMuch = new Error('too much');
  const inflator = new Inflate({ raw: true });
  inflator.onData = (chunk) => {
    total += chunk.length;
    if (total > max) throw tooMuch;
    chunks.push(chunk);
  };
  const joined = () => {
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
  try {
    for (let from = 0; from < data.length || from === 0; from += SLICE) {
      const last = from + SLICE >= data.length;
      inflator.push(data.subarray(from, from + SLICE), last);
      if (inflator.err) break;
      // Asked again each time the output doubles (not after every slice: joining is a copy).
      if (bound && !bounded && total >= askAt) {
        const b = bound(joined());
        if (b !== null) {
          bounded = true;
          max = Math.min(limit, b);
          if (total > max) return null;
        }
        askAt = Math.max(SLICE, total * 2);
      }
      if (last) break;
    }
  } catch (err) {
    if (err === tooMuch) return null;
    throw err;
  }
  if (inflator.err) throw new Error(`it is not valid deflate data (${inflator.msg})`);
  return joined();
}
