/**
 * Drawing a Courier image into a cornerstone viewport (cornerstone-core calls `image.render`): the
 * frame goes through displayLut.ts (greyscale, with its modality, VOI and presentation steps) or a
 * window on each colour channel, into an offscreen canvas kept while nothing changes; that canvas is
 * drawn with the viewport's zoom, pan, rotation and flips; overlay planes go on top unless the
 * viewport's element says `data-overlays="off"`.
 */
import * as cornerstone from 'cornerstone-core';
import type { EnabledElement, Image, Viewport } from 'cornerstone-core';
import type { FrameDisplay, Lut, Palette } from './attributes.ts';
import { colorLut, displayLut, type Voi } from './displayLut.ts';
import type { OverlayPlane } from './overlays.ts';
import type { Frame } from './samples.ts';

/** An overlay plane with its bits for this frame. */
export interface FrameOverlay {
  plane: OverlayPlane;
  bits: Uint8Array;
}

/** What a Courier image carries beside cornerstone's fields. */
export interface CourierImageData {
  frame: Frame;
  display: FrameDisplay;
  supplemental: Palette | null;
  overlays: FrameOverlay[];
}

/** A cornerstone image made by Courier's loader. */
export interface CourierImage extends Image {
  courier: CourierImageData;
  voiLUT?: Lut;
}

/** The overlay colour (opaque yellow), as a person expects graphics on a greyscale image. */
const OVERLAY_RGBA = [255, 255, 0, 255];

interface Offscreen {
  canvas: HTMLCanvasElement;
  context: CanvasRenderingContext2D;
  data: ImageData;
  key: string;
}
const offscreens = new WeakMap<object, Offscreen>();
const overlayCanvases = new WeakMap<FrameOverlay, HTMLCanvasElement>();

/** The VOI a viewport applies to an image: its VOI LUT when the viewport holds one, else its window. */
export function viewportVoi(image: CourierImage, viewport: Viewport): Voi {
  if (viewport.voiLUT) return { lut: viewport.voiLUT };
  return { center: viewport.voi.windowCenter, width: viewport.voi.windowWidth, fn: image.courier.display.voiFunction };
}

/** cornerstone's render hook for Courier images. */
export function renderImage(enabledElement: EnabledElement, invalidated?: boolean): void {
  const image = enabledElement.image as CourierImage;
  const viewport = enabledElement.viewport as Viewport;
  const context = enabledElement.canvas.getContext('2d')!;
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.fillStyle = 'black';
  context.fillRect(0, 0, enabledElement.canvas.width, enabledElement.canvas.height);
  context.imageSmoothingEnabled = !viewport.pixelReplication;
  cornerstone.setToPixelCoordinateSystem(enabledElement, context);
  context.drawImage(offscreenFor(enabledElement, image, viewport, invalidated === true), 0, 0);
  if (enabledElement.element.dataset.overlays !== 'off') {
    for (const o of image.courier.overlays) context.drawImage(overlayCanvas(o), o.plane.origin[1] - 1, o.plane.origin[0] - 1);
  }
}

function offscreenFor(enabledElement: EnabledElement, image: CourierImage, viewport: Viewport, invalidated: boolean): HTMLCanvasElement {
  const voi = viewportVoi(image, viewport);
  const key = `${image.imageId}|${voi.lut ? `lut:${image.courier.display.voiLuts.indexOf(voi.lut)}` : `${voi.center}/${voi.width}`}|${viewport.invert}`;
  let off = offscreens.get(enabledElement);
  if (off && off.key === key && !invalidated) return off.canvas;
  if (!off || off.canvas.width !== image.columns || off.canvas.height !== image.rows) {
    const canvas = off?.canvas ?? document.createElement('canvas');
    canvas.width = image.columns;
    canvas.height = image.rows;
    const context = canvas.getContext('2d')!;
    off = { canvas, context, data: context.createImageData(image.columns, image.rows), key: '' };
    offscreens.set(enabledElement, off);
  }
  const { frame } = image.courier;
  const out = off.data.data;
  if (frame.kind === 'grey') {
    const lut = displayLut({ ...frame, display: image.courier.display, voi, invert: viewport.invert, supplemental: image.courier.supplemental });
    const words = new Uint32Array(out.buffer, out.byteOffset, out.length / 4);
    const px = frame.pixels;
    const min = frame.min;
    for (let i = 0; i < px.length; i++) words[i] = lut[px[i] - min];
  } else {
    const lut = colorLut(voi, viewport.invert);
    const px = frame.pixels;
    for (let i = 0; i < px.length; i += 4) {
      out[i] = lut[px[i]];
      out[i + 1] = lut[px[i + 1]];
      out[i + 2] = lut[px[i + 2]];
      out[i + 3] = 255;
    }
  }
  off.context.putImageData(off.data, 0, 0);
  off.key = key;
  return off.canvas;
}

function overlayCanvas(o: FrameOverlay): HTMLCanvasElement {
  let canvas = overlayCanvases.get(o);
  if (canvas) return canvas;
  canvas = document.createElement('canvas');
  canvas.width = o.plane.columns;
  canvas.height = o.plane.rows;
  const context = canvas.getContext('2d')!;
  const data = context.createImageData(o.plane.columns, o.plane.rows);
  for (let i = 0; i < o.bits.length; i++) if (o.bits[i]) data.data.set(OVERLAY_RGBA, i * 4);
  context.putImageData(data, 0, 0);
  overlayCanvases.set(o, canvas);
  return canvas;
}
