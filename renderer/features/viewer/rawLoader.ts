/**
 * A fast path for the most common images: single-frame, uncompressed little-endian greyscale
 * (MONOCHROME1/2, 8 or 16 bits). The file is fetched once and its pixels are used in place — no
 * copy to a decode worker and back, no second copy of the file in the loader's dataset cache.
 * Anything else is handed to cornerstone-wado-image-loader (`wadouri:`), which decodes in workers.
 * Image ids: `courier:<transfer syntax UID>|<instance URL>`.
 */
import type { Image, ImageLoadObject } from 'cornerstone-core';
import * as dicomParser from 'dicom-parser';

/** The scheme of this loader. */
export const RAW_SCHEME = 'courier';
const UNCOMPRESSED_LE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

/** True when instances in `transferSyntaxUID` with `frames` frames may take the fast path. */
export function rawEligible(transferSyntaxUID: string, frames: number): boolean {
  return frames <= 1 && UNCOMPRESSED_LE.has(transferSyntaxUID);
}

/** The fast path's image id for an instance URL. */
export function rawImageId(transferSyntaxUID: string, url: string): string {
  return `${RAW_SCHEME}:${transferSyntaxUID}|${url}`;
}

/** What the fast path builds from a parsed file, or null when the image needs the full loader. */
export function rawImage(imageId: string, buffer: ArrayBuffer, transferSyntaxUID: string): Image | null {
  const bytes = new Uint8Array(buffer);
  const ds = dicomParser.parseDicom(bytes, { TransferSyntaxUID: transferSyntaxUID });
  const px = ds.elements.x7fe00010;
  const rows = ds.uint16('x00280010') ?? 0;
  const columns = ds.uint16('x00280011') ?? 0;
  const bitsAllocated = ds.uint16('x00280100');
  const signed = ds.uint16('x00280103') === 1;
  const samples = ds.uint16('x00280002') ?? 1;
  const photometric = (ds.string('x00280004') ?? '').trim();
  const n = rows * columns;
  if (!px || px.encapsulatedPixelData || !n || samples !== 1 || !/^MONOCHROME[12]$/.test(photometric)) return null;
  if ((bitsAllocated !== 16 && bitsAllocated !== 8) || px.length < (n * bitsAllocated) / 8) return null;
  if (ds.elements.x00283010 || ds.elements.x00283000) return null; // VOI / modality LUT sequences: the full loader
  let pixels: Int16Array | Uint16Array | Int8Array | Uint8Array;
  const at = px.dataOffset;
  if (bitsAllocated === 16) {
    const T = signed ? Int16Array : Uint16Array;
    pixels = at % 2 === 0 ? new T(buffer, at, n) : new T(buffer.slice(at, at + n * 2));
  } else {
    pixels = signed ? new Int8Array(buffer, at, n) : new Uint8Array(buffer, at, n);
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = pixels[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const num = (tag: string, fallback?: number) => {
    const v = ds.floatString(tag);
    return v === undefined || !Number.isFinite(v) ? fallback : v;
  };
  const spacing = (ds.string('x00280030') ?? '').split('\\').map(Number);
  const slope = num('x00281053', 1)!;
  return {
    imageId,
    minPixelValue: min,
    maxPixelValue: max,
    slope: slope === 0 ? 1 : slope,
    intercept: num('x00281052', 0)!,
    windowCenter: num('x00281050'),
    windowWidth: num('x00281051'),
    rows,
    columns,
    height: rows,
    width: columns,
    color: false,
    invert: photometric === 'MONOCHROME1',
    rowPixelSpacing: spacing[0] > 0 ? spacing[0] : undefined,
    columnPixelSpacing: spacing[1] > 0 ? spacing[1] : undefined,
    sizeInBytes: pixels.byteLength,
    getPixelData: () => pixels,
  };
}

/** The cornerstone image loader of the `courier:` scheme; `fallback` loads a `wadouri:` id. */
export function createRawLoader(fallback: (imageId: string) => ImageLoadObject) {
  return (imageId: string): ImageLoadObject => {
    const rest = imageId.slice(RAW_SCHEME.length + 1);
    const bar = rest.indexOf('|');
    const transferSyntaxUID = rest.slice(0, bar);
    const url = rest.slice(bar + 1);
    const controller = new AbortController();
    const promise = (async () => {
      const res = await fetch(url, { signal: controller.signal, credentials: 'same-origin' });
      if (!res.ok) throw new Error(`The image could not be fetched (HTTP ${res.status} ${res.statusText})`.trim());
      const image = rawImage(imageId, await res.arrayBuffer(), transferSyntaxUID);
      return image ?? (await fallback(`wadouri:${url}`).promise);
    })();
    return { promise, cancelFn: () => controller.abort() };
  };
}
