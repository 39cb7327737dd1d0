/**
 * Courier's cornerstone image loader (`courier:` image ids): fetches an instance's file, parses it
 * (parseFile.ts), takes the frame asked for, converts native frames here and sends compressed ones
 * to the decode workers, and makes the cornerstone image with its display attributes (per frame for
 * enhanced multi-frame objects), default window and overlays. A multi-frame file is fetched and
 * parsed once for all its frames (the last few such files are kept).
 * Image ids: `courier:<frame>|<instance URL>`, the frame empty for a single-frame instance.
 */
import type { ImageLoadObject } from 'cornerstone-core';
import { frameDisplay } from './attributes.ts';
import { decodeInWorker } from './decodeWorkers.ts';
import { defaultVoi } from './displayLut.ts';
import { fetchBytes } from './fetchBytes.ts';
import { overlayBits, overlayPlanes, type OverlayPlane } from './overlays.ts';
import { parseFile, rawFrame, type ParsedFile } from './parseFile.ts';
import { renderImage, type CourierImage, type FrameOverlay } from './render.ts';
import { convertFrame, type Frame } from './samples.ts';

/** The scheme of this loader. */
export const SCHEME = 'courier';

/** The image id of frame `frame` (from 0) of the instance at `url`; null for a single-frame instance. */
export function courierImageId(url: string, frame: number | null): string {
  return `${SCHEME}:${frame ?? ''}|${url}`;
}

interface LoadedFile {
  parsed: ParsedFile;
  overlays: OverlayPlane[];
}

/** Multi-frame files kept parsed, most recent last. */
const files = new Map<string, Promise<LoadedFile>>();
const KEEP_FILES = 3;

async function fetchFile(url: string, signal: AbortSignal): Promise<LoadedFile> {
  const parsed = parseFile(await fetchBytes(url, signal));
  return { parsed, overlays: overlayPlanes(parsed.dataSet, parsed.layout, parsed.littleEndian) };
}

function multiFrameFile(url: string): Promise<LoadedFile> {
  let file = files.get(url);
  if (file) {
    files.delete(url);
  } else {
    file = fetchFile(url, new AbortController().signal);
    file.catch(() => files.delete(url));
  }
  files.set(url, file);
  while (files.size > KEEP_FILES) files.delete(files.keys().next().value!);
  return file;
}

/** The loader registered for `courier:` ids. */
export function loadCourierImage(imageId: string): ImageLoadObject {
  const rest = imageId.slice(SCHEME.length + 1);
  const bar = rest.indexOf('|');
  const frame = rest.slice(0, bar) === '' ? null : Number(rest.slice(0, bar));
  const url = rest.slice(bar + 1);
  const controller = new AbortController();
  const promise = (async () => {
    const file = frame === null ? await fetchFile(url, controller.signal) : await multiFrameFile(url);
    return imageOf(imageId, file, frame ?? 0);
  })();
  return { promise, cancelFn: () => controller.abort() };
}

async function imageOf(imageId: string, file: LoadedFile, frame: number): Promise<CourierImage> {
  const { parsed } = file;
  const raw = rawFrame(parsed, frame);
  const pixels: Frame = raw.native
    ? convertFrame(raw.native, parsed.layout, parsed.palette)
    : await decodeInWorker(parsed.transferSyntaxUID, raw.encoded, parsed.layout, parsed.palette);
  const display = frameDisplay(parsed.dataSet, parsed.layout, frame);
  const overlays: FrameOverlay[] = [];
  for (const plane of file.overlays) {
    const bits = overlayBits(plane, frame, raw.native ?? null);
    if (bits) overlays.push({ plane, bits });
  }
  const supplemental = parsed.layout.photometric === 'PALETTE COLOR' ? null : parsed.palette;
  const { rows, columns } = parsed.layout;
  const start = defaultVoi(pixels, display);
  const linear = display.modality.lut ? { slope: 1, intercept: 0 } : display.modality;
  const image: CourierImage = {
    imageId,
    rows,
    columns,
    height: rows,
    width: columns,
    color: pixels.kind === 'color',
    minPixelValue: pixels.kind === 'grey' ? pixels.min : 0,
    maxPixelValue: pixels.kind === 'grey' ? pixels.max : 255,
    // Modality units per pixel value, so the W/L tool moves at a speed fitting the image.
    slope: pixels.kind === 'grey' ? pixels.scale * linear.slope : 1,
    intercept: pixels.kind === 'grey' ? pixels.offset * linear.slope + linear.intercept : 0,
    windowCenter: start.center,
    windowWidth: start.width,
    voiLUT: start.lut,
    invert: parsed.layout.photometric === 'MONOCHROME1',
    rowPixelSpacing: display.pixelSpacing?.[0],
    columnPixelSpacing: display.pixelSpacing?.[1],
    sizeInBytes: pixels.pixels.byteLength,
    getPixelData: () => pixels.pixels,
    render: renderImage,
    courier: { frame: pixels, display, supplemental, overlays },
  };
  return image;
}
