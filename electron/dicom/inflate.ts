/**
 * Inflating Deflated Explicit VR Little Endian datasets (PS3.5 §A.5) within bounds. Deflate expands
 * up to 1032:1, so a few kilobytes can stand for gigabytes: output is capped at what a DICOM file
 * can plausibly hold, and a header is inflated only as far as it reaches, never the whole file.
 */
import { constants, inflateRawSync } from 'node:zlib';

/** The most a whole deflated dataset may inflate to (export, send, the tag browser): 1 GiB. */
export const MAX_INFLATED = 1024 * 1024 * 1024;

/** Deflated bytes that cannot be inflated within the limit, or at all; the message is for a person. */
export class InflateError extends Error {
  override name = 'InflateError';
}

/** Inflates a whole raw deflate stream; throws InflateError beyond `limit` bytes of output, or on a corrupt or cut stream. */
export function inflateBounded(deflated: Uint8Array, limit = MAX_INFLATED): Buffer {
  return inflate(deflated, limit, true);
}

/** How much deflated input the first attempt of inflateUntil reads: a header's worth. */
const FIRST_INPUT = 1024;

/**
 * Inflates `deflated` only as far as `attempt` needs: the output of its first kilobyte, then of
 * twice as much input, and so on. `attempt` gets the output so far and whether it is all of it (the
 * stream ended); it returns its result, or null to be called again with more. When the input runs
 * out before the stream ends (`inputComplete` false: the caller has only the file's head), null is
 * returned. Never more than `limit` bytes are inflated: each attempt stops there with an InflateError.
 */
export function inflateUntil<T>(
  deflated: Uint8Array,
  limit: number,
  inputComplete: boolean,
  attempt: (inflated: Buffer, ended: boolean) => T | null,
): T | null {
  for (let take = Math.min(FIRST_INPUT, deflated.length); ; take = Math.min(deflated.length, take * 2)) {
    const ended = inputComplete && take === deflated.length;
    const result = attempt(inflate(deflated.subarray(0, take), limit, ended), ended);
    if (result !== null) return result;
    if (take === deflated.length) return null;
  }
}

/** One bounded inflation; `whole` says the stream must end within `deflated` (else a cut stream is fine). */
function inflate(deflated: Uint8Array, limit: number, whole: boolean): Buffer {
  try {
    // maxOutputLength stops zlib as soon as the output passes the limit (it does not inflate it all first).
    return inflateRawSync(deflated, { maxOutputLength: limit, ...(whole ? {} : { finishFlush: constants.Z_SYNC_FLUSH }) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InflateError(
        `The deflated dataset inflates to more than ${Math.round(limit / (1024 * 1024))} MB, more than a DICOM file plausibly holds: it is not read (a "decompression bomb", or a corrupt file)`,
      );
    }
    if (e.code === 'Z_BUF_ERROR') throw new InflateError('The deflated dataset ends early: the file is truncated');
    throw new InflateError(`The deflated dataset is corrupt and cannot be inflated (${e.message})`);
  }
}
