/**
 * Wires cornerstone-core and cornerstone-tools together once: Courier's image loader (image/loader.ts,
 * decoding in web workers with dcmjs-codecs), the image cache, and the tools the viewport uses.
 */
import * as cornerstone from 'cornerstone-core';
import type { Image } from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import cornerstoneMath from 'cornerstone-math';
import Hammer from 'hammerjs';
import { courierImageId, loadCourierImage, SCHEME } from './image/loader.ts';

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
  cornerstone.registerImageLoader(SCHEME, loadCourierImage);
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

/** Binds `tool` to the left button; the middle button pans and the right button zooms. */
export function setLeftTool(tool: LeftTool): void {
  for (const t of LEFT_TOOLS) if (t !== tool) cornerstoneTools.setToolPassive(t);
  cornerstoneTools.setToolActive(tool, { mouseButtonMask: 1 });
  if (tool !== 'Pan') cornerstoneTools.setToolActive('Pan', { mouseButtonMask: 4 });
  if (tool !== 'Zoom') cornerstoneTools.setToolActive('Zoom', { mouseButtonMask: 2 });
}

/** Loads (or takes from the cache) the image `imageId`. */
export function loadImage(imageId: string): Promise<Image> {
  return cornerstone.loadAndCacheImage(imageId);
}

/** The cornerstone image id of a frame of an instance served at `url` (frames count from 0; null for a single-frame instance). */
export function imageIdFor(url: string, frame: number | null): string {
  return courierImageId(url, frame);
}
