/**
 * Wires cornerstone-core, cornerstone-tools and cornerstone-wado-image-loader together once:
 * externals, decode web workers (the loader's bundle starts them from blob: URLs, with its
 * WebAssembly codecs inline), the image cache, and the tools the viewport uses.
 */
import * as cornerstone from 'cornerstone-core';
import type { Image } from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import cornerstoneMath from 'cornerstone-math';
import wadoLoader from 'cornerstone-wado-image-loader';
import * as dicomParser from 'dicom-parser';
import Hammer from 'hammerjs';
import { inflateRaw } from 'pako';
import { createRawLoader, RAW_SCHEME, rawEligible, rawImageId } from './rawLoader.ts';

export { cornerstone, cornerstoneTools };

let ready = false;

/** Left-button tools the toolbar switches between. */
export const LEFT_TOOLS = ['Wwwc', 'Pan', 'Zoom', 'Length'] as const;
/** A left-button tool. */
export type LeftTool = (typeof LEFT_TOOLS)[number];

/** Sets everything up; safe to call more than once. */
export function initCornerstone(): void {
  if (ready) return;
  ready = true;
  // dicom-parser inflates Deflated Explicit VR Little Endian with a global pako in browsers.
  (globalThis as { pako?: unknown }).pako = { inflateRaw };
  wadoLoader.external.cornerstone = cornerstone;
  wadoLoader.external.dicomParser = dicomParser;
  wadoLoader.webWorkerManager.initialize({
    maxWebWorkers: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)),
    startWebWorkersOnDemand: true,
    taskConfiguration: { decodeTask: { initializeCodecsOnStartup: false, strict: false } },
  });
  cornerstone.metaData.addProvider(imagePlaneWithoutModality, 10_000);
  cornerstone.registerImageLoader(RAW_SCHEME, createRawLoader((id) => wadoLoader.wadouri.loadImage(id)));
  // 600 slices of 512×512×2 bytes are 315 MB; keep a series this size in cache.
  cornerstone.imageCache.setMaximumSizeBytes(1024 * 1024 * 1024);

  cornerstoneTools.external.cornerstone = cornerstone;
  cornerstoneTools.external.cornerstoneMath = cornerstoneMath;
  cornerstoneTools.external.Hammer = Hammer;
  // globalToolSyncEnabled: viewports enabled later (layouts) get the tools and their current modes.
  cornerstoneTools.init({ showSVGCursors: false, touchEnabled: false, globalToolSyncEnabled: true });
  cornerstoneTools.addTool(cornerstoneTools.WwwcTool);
  cornerstoneTools.addTool(cornerstoneTools.PanTool);
  cornerstoneTools.addTool(cornerstoneTools.ZoomTool, { configuration: { invert: false, minScale: 0.05, maxScale: 40 } });
  cornerstoneTools.addTool(cornerstoneTools.LengthTool);
  setLeftTool('Wwwc');
}

/** The loader's own imagePlaneModule throws on a dataset without Modality (0008,0060) and Image
 * Orientation (cornerstone-wado-image-loader 4.13, getImageOrientationPatient: `modality.includes`),
 * leaving the load hanging; such images (secondary captures) get this plain module instead. */
function imagePlaneWithoutModality(type: string, imageId: string): Record<string, unknown> | undefined {
  if (type !== 'imagePlaneModule' || !imageId.startsWith('wadouri:')) return undefined;
  const { url } = wadoLoader.wadouri.parseImageId(imageId);
  const ds = wadoLoader.wadouri.dataSetCacheManager.get(url);
  if (!ds || ds.string('x00080060') !== undefined || ds.elements.x00200037 || ds.elements.x00209116) return undefined;
  const spacing = (ds.string('x00280030') ?? '').split('\\').map(Number);
  const rowPixelSpacing = Number.isFinite(spacing[0]) && spacing[0] > 0 ? spacing[0] : undefined;
  const columnPixelSpacing = Number.isFinite(spacing[1]) && spacing[1] > 0 ? spacing[1] : undefined;
  return {
    rows: ds.uint16('x00280010'),
    columns: ds.uint16('x00280011'),
    pixelSpacing: rowPixelSpacing && columnPixelSpacing ? [rowPixelSpacing, columnPixelSpacing] : undefined,
    rowPixelSpacing,
    columnPixelSpacing,
    imageOrientationPatient: undefined,
    rowCosines: undefined,
    columnCosines: undefined,
    imagePositionPatient: undefined,
    frameOfReferenceUID: undefined,
  };
}

/** Binds `tool` to the left button; the middle button pans and the right button zooms. */
export function setLeftTool(tool: LeftTool): void {
  for (const t of LEFT_TOOLS) if (t !== tool) cornerstoneTools.setToolPassive(t);
  cornerstoneTools.setToolActive(tool, { mouseButtonMask: 1 });
  if (tool !== 'Pan') cornerstoneTools.setToolActive('Pan', { mouseButtonMask: 4 });
  if (tool !== 'Zoom') cornerstoneTools.setToolActive('Zoom', { mouseButtonMask: 2 });
}

/** Loads (or takes from the cache) the image `imageId`. For a single-frame instance the file's bytes
 * are then let go (the loader keeps every parsed file until purged, doubling the memory of a stack);
 * multi-frame files stay, their other frames come from them. */
export async function loadImage(imageId: string, multiFrame: boolean): Promise<Image> {
  const image = await cornerstone.loadAndCacheImage(imageId);
  if (!multiFrame && image.data && imageId.startsWith('wadouri:')) {
    delete image.data;
    wadoLoader.wadouri.dataSetCacheManager.unload(wadoLoader.wadouri.parseImageId(imageId).url);
  }
  return image;
}

/** The cornerstone image id of a frame of an instance served at `url` (frames count from 0); single-frame
 * uncompressed little-endian instances take the fast path (rawLoader.ts) when `transferSyntaxUID` is given. */
export function imageIdFor(url: string, frame: number | null, transferSyntaxUID?: string): string {
  if (frame === null && transferSyntaxUID && rawEligible(transferSyntaxUID, 1)) return rawImageId(transferSyntaxUID, url);
  if (frame === null) return `wadouri:${url}`;
  return `wadouri:${url}${url.includes('?') ? '&' : '?'}frame=${frame}`;
}
