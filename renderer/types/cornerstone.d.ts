// Minimal declarations for the parts of cornerstone-core, cornerstone-tools,
// cornerstone-math and hammerjs the viewer uses (the packages ship none).

declare module 'cornerstone-core' {
  export interface Image {
    imageId: string;
    minPixelValue: number;
    maxPixelValue: number;
    slope: number;
    intercept: number;
    windowCenter?: number | number[];
    windowWidth?: number | number[];
    rows: number;
    columns: number;
    width: number;
    height: number;
    color: boolean;
    invert: boolean;
    rowPixelSpacing?: number;
    columnPixelSpacing?: number;
    sizeInBytes: number;
    getPixelData(): ArrayLike<number>;
    /** Draws the image instead of cornerstone's own greyscale and colour renderers. */
    render?: (enabledElement: EnabledElement, invalidated?: boolean) => void;
  }
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
    labelmap?: boolean;
    /** A VOI LUT in place of the window (cornerstone-tools' W/L tool clears it). */
    voiLUT?: import('../features/viewer/image/attributes.ts').Lut;
  }
  export interface EnabledElement {
    element: HTMLElement;
    image?: Image;
    viewport?: Viewport;
    canvas: HTMLCanvasElement;
  }
  export interface ImageLoadObject {
    promise: Promise<Image>;
    cancelFn?: () => void;
  }
  export const EVENTS: Record<string, string>;
  export const events: EventTarget;
  export function enable(element: HTMLElement, options?: Record<string, unknown>): void;
  export function disable(element: HTMLElement): void;
  export function displayImage(element: HTMLElement, image: Image, viewport?: Partial<Viewport>): void;
  export function loadImage(imageId: string): Promise<Image>;
  export function loadAndCacheImage(imageId: string): Promise<Image>;
  export function getViewport(element: HTMLElement): Viewport | undefined;
  export function setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
  export function getDefaultViewportForImage(element: HTMLElement, image: Image): Viewport;
  export function getEnabledElement(element: HTMLElement): EnabledElement;
  export function getImage(element: HTMLElement): Image | undefined;
  export function resize(element: HTMLElement, forcedFitToWindow?: boolean): void;
  export function fitToWindow(element: HTMLElement): void;
  export function reset(element: HTMLElement): void;
  export function updateImage(element: HTMLElement, invalidated?: boolean): void;
  export function draw(element: HTMLElement): void;
  export function setToPixelCoordinateSystem(enabledElement: EnabledElement, context: CanvasRenderingContext2D, scale?: number): void;
  export function pixelToCanvas(element: HTMLElement, pt: { x: number; y: number }): { x: number; y: number };
  export function canvasToPixel(element: HTMLElement, pt: { x: number; y: number }): { x: number; y: number };
  export const imageCache: {
    setMaximumSizeBytes(n: number): void;
    getCacheInfo(): { maximumSizeInBytes: number; cacheSizeInBytes: number; numberOfImagesCached: number };
    purgeCache(): void;
  };
  export const metaData: {
    addProvider(provider: (type: string, imageId: string) => unknown, priority?: number): void;
    get(type: string, imageId: string): unknown;
  };
  export function registerImageLoader(scheme: string, loader: (imageId: string) => ImageLoadObject): void;
}

declare module 'cornerstone-tools' {
  const tools: {
    external: Record<string, unknown>;
    init(config?: Record<string, unknown>): void;
    addTool(tool: unknown, config?: Record<string, unknown>): void;
    addToolForElement(element: HTMLElement, tool: unknown, config?: Record<string, unknown>): void;
    setToolActive(name: string, opts: { mouseButtonMask?: number; isTouchActive?: boolean }): void;
    setToolActiveForElement(element: HTMLElement, name: string, opts: { mouseButtonMask?: number }): void;
    setToolPassive(name: string): void;
    setToolPassiveForElement(element: HTMLElement, name: string): void;
    setToolEnabledForElement(element: HTMLElement, name: string): void;
    clearToolState(element: HTMLElement, toolName: string): void;
    getToolState(element: HTMLElement, toolName: string): { data: unknown[] } | undefined;
    addToolState(element: HTMLElement, toolName: string, data: unknown): void;
    addStackStateManager(element: HTMLElement, names: string[]): void;
    WwwcTool: unknown;
    PanTool: unknown;
    ZoomTool: unknown;
    LengthTool: unknown;
    ZoomMouseWheelTool: unknown;
    StackScrollMouseWheelTool: unknown;
    PanMultiTouchTool: unknown;
    ZoomTouchPinchTool: unknown;
  };
  export default tools;
}

declare module 'cornerstone-math' {
  const math: Record<string, unknown>;
  export default math;
}

declare module 'hammerjs' {
  const Hammer: unknown;
  export default Hammer;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  /** The Emscripten module factory of OpenJPEG's decoder (see shared/dicom/frameCodec.ts for the parts used). */
  const factory: (module: { locateFile?(file: string): string; print?(s: string): void; printErr?(s: string): void }) => Promise<unknown>;
  export default factory;
}

declare module 'pako' {
  export function inflateRaw(data: Uint8Array): Uint8Array;
  export class Inflate {
    constructor(options?: { raw?: boolean });
    onData(chunk: Uint8Array): void;
    push(data: Uint8Array, final?: boolean): boolean;
    err: number;
    msg: string;
  }
}
