/**
 * One viewport: a series as a stack (multi-frame instances contribute one image per frame),
 * scrolled by wheel, keys, the scrollbar or cine; cornerstone-tools for W/L, pan, zoom and length;
 * overlay text; the reason when an image cannot be shown. The toolbar drives it through its handle.
 */
import { useCallback, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import type { InstanceRow, SeriesContext } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import { formatDate, formatName } from '../format.ts';
import { SERIES_DRAG_TYPE } from '../library/LibraryPanel.tsx';
import { cornerstone, cornerstoneTools, imageIdFor, initCornerstone, loadImage } from './cornerstone.ts';
import type { Image, Viewport } from 'cornerstone-core';
import type { CourierImage } from './image/render.ts';
import { nearestUntaken, stepIndex } from './presets.ts';
import { objectKind } from './sopClasses.ts';
import { transferSyntaxInfo } from '../../../shared/dicom/transferSyntax.ts';

/** What the toolbar can do to the active viewport. */
export interface ViewportHandle {
  setWindow(windowWidth: number, windowCenter: number): void;
  invert(): void;
  fit(): void;
  rotate(degrees: number): void;
  flip(axis: 'h' | 'v'): void;
  reset(): void;
  clearMeasurements(): void;
  /** The instance on screen, for the tag browser. */
  currentInstanceId(): number | null;
}

/** The state a viewport reports to the viewer (cine controls, tag browser). */
export interface ViewportStatus {
  instanceId: number | null;
  count: number;
}

interface Props {
  seriesId: number | null;
  active: boolean;
  cine: { playing: boolean; fps: number };
  /** Draw overlay planes (60xx) over the image. */
  showOverlays: boolean;
  onActivate(): void;
  onDropSeries(seriesId: number): void;
  onStatus(status: ViewportStatus): void;
  onShowTags(instanceId: number): void;
  ref?: Ref<ViewportHandle>;
}

interface StackEntry {
  imageId: string;
  instanceId: number;
  frame: number | null;
  instanceNumber: number | null;
  transferSyntaxUID: string;
}

type State = 'empty' | 'loading' | 'shown' | 'error' | 'no-images';

/** Prefetch this many images at once (the loader has up to 4 decode workers). */
const PREFETCH_CONCURRENCY = 4;

/** A load that has not settled by then is reported as failed (a decoder that threw in a worker may never answer). */
const LOAD_TIMEOUT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The decoder did not finish within ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Why the loader failed, for a person. */
export function loadErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  const e = err as { error?: { status?: number; statusText?: string; message?: string }; message?: string } | null;
  if (e?.error?.status) return `The image could not be fetched (HTTP ${e.error.status} ${e.error.statusText ?? ''})`.trim();
  if (e?.error?.message) return e.error.message;
  if (e?.message) return e.message;
  return 'The image could not be decoded';
}

/** A viewport's VOI: its window and VOI LUT. */
interface ImageVoi {
  windowWidth: number;
  windowCenter: number;
  lut: Viewport['voiLUT'];
}
const voiOf = (vp: Viewport): ImageVoi => ({ windowWidth: vp.voi.windowWidth, windowCenter: vp.voi.windowCenter, lut: vp.voiLUT });
const sameVoi = (a: ImageVoi, b: ImageVoi | null) => !!b && a.windowWidth === b.windowWidth && a.windowCenter === b.windowCenter && a.lut === b.lut;

/** A window value for the overlay: whole numbers, or three significant digits for small ranges (parametric maps). */
export function formatWindow(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}

/** The first value of a possibly multi-valued number. */
const first = (v: number | number[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The window to start with: the file's Window Center/Width, else the modality pixel range. */
export function defaultWindow(image: Pick<Image, 'windowCenter' | 'windowWidth' | 'minPixelValue' | 'maxPixelValue' | 'slope' | 'intercept'>) {
  const wc = first(image.windowCenter);
  const ww = first(image.windowWidth);
  if (Number.isFinite(wc) && Number.isFinite(ww) && (ww as number) > 0) return { windowCenter: wc as number, windowWidth: ww as number };
  const lo = image.minPixelValue * image.slope + image.intercept;
  const hi = image.maxPixelValue * image.slope + image.intercept;
  return { windowCenter: (lo + hi) / 2, windowWidth: Math.max(1, Math.abs(hi - lo)) };
}

/** A viewport pane. */
export function ViewportPane({ seriesId, active, cine, showOverlays, onActivate, onDropSeries, onStatus, onShowTags, ref }: Props) {
  const element = useRef<HTMLDivElement>(null);
  const [context, setContext] = useState<SeriesContext | null>(null);
  const [stack, setStack] = useState<StackEntry[]>([]);
  const [others, setOthers] = useState<InstanceRow[]>([]);
  const [index, setIndex] = useState(0);
  // The stack index of the image on screen (index is the one asked for, which may still be loading).
  const [shownIndex, setShownIndex] = useState<number | null>(null);
  // The stack index last handed to cornerstone: it is drawn on the next animation frame, and only then
  // (IMAGE_RENDERED) is it the shown index (data-shown-index: what the canvas holds, for tests and tools).
  const displayedIndex = useRef<number | null>(null);
  const [state, setState] = useState<State>('empty');
  // The series `state` is about (the prop changes one render before the load effect resets state).
  const [stateSeries, setStateSeries] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [overlay, setOverlay] = useState<{ ww: number; wc: number; scale: number; voiLut: string | null; overlays: number; rows: number; columns: number } | null>(null);
  const [dragOver, setDragOver] = useState(false);
  const requested = useRef(0);
  const generation = useRef(0);
  const freshViewport = useRef(true);
  // The VOI the viewport last took from an image's own attributes: while the user has not changed it,
  // each image shows its own window or VOI LUT (an enhanced object's frames may each have one).
  const imageVoi = useRef<ImageVoi | null>(null);
  const loading = useRef(false);

  // Enable the element once.
  useEffect(() => {
    initCornerstone();
    const el = element.current!;
    cornerstone.enable(el);
    const onRendered = () => {
      setShownIndex(displayedIndex.current);
      const vp = cornerstone.getViewport(el);
      const image = cornerstone.getImage(el) as CourierImage | undefined;
      if (vp) setOverlay({ ww: vp.voi.windowWidth, wc: vp.voi.windowCenter, scale: vp.scale, voiLut: vp.voiLUT ? (vp.voiLUT.explanation ?? 'VOI LUT') : null, overlays: image?.courier?.overlays.length ?? 0, rows: image?.rows ?? 0, columns: image?.columns ?? 0 });
    };
    el.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
    const resize = new ResizeObserver(() => {
      try {
        cornerstone.resize(el, true);
      } catch {
        // not displaying yet
      }
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      el.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
      cornerstone.disable(el);
    };
  }, []);

  // Overlay planes on or off: the renderer reads the element's data-overlays (image/render.ts).
  useEffect(() => {
    const el = element.current!;
    el.dataset.overlays = showOverlays ? 'on' : 'off';
    if (cornerstone.getImage(el)) cornerstone.updateImage(el);
  }, [showOverlays]);

  // Load the series: its context, and its instances as a stack.
  useEffect(() => {
    const gen = ++generation.current;
    setStack([]);
    setOthers([]);
    setContext(null);
    setIndex(0);
    setError(null);
    setOverlay(null);
    setStateSeries(seriesId);
    setShownIndex(null);
    displayedIndex.current = null;
    if (seriesId === null) {
      setState('empty');
      return;
    }
    setState('loading');
    (async () => {
      try {
        const [ctx, instances] = await Promise.all([invoke('viewer.series', { seriesId }), invoke('library.instances', { seriesId })]);
        if (gen !== generation.current) return;
        const entries: StackEntry[] = [];
        for (const i of instances) {
          if (!i.hasPixels) continue;
          const url = courier.instanceUrl(i.id);
          if (i.frames > 1) for (let f = 0; f < i.frames; f++) entries.push({ imageId: imageIdFor(url, f), instanceId: i.id, frame: f, instanceNumber: i.InstanceNumber, transferSyntaxUID: i.TransferSyntaxUID });
          else entries.push({ imageId: imageIdFor(url, null), instanceId: i.id, frame: null, instanceNumber: i.InstanceNumber, transferSyntaxUID: i.TransferSyntaxUID });
        }
        setContext(ctx);
        setOthers(instances.filter((i) => !i.hasPixels));
        freshViewport.current = true;
        setStack(entries);
        setState(entries.length ? 'loading' : 'no-images');
      } catch (err) {
        if (gen !== generation.current) return;
        setState('error');
        setError(errorMessage(err));
      }
    })();
  }, [seriesId]);

  // Files deleted (after a commitment, say) or gone at a re-index while the series is open: the stack
  // follows the library, so no image whose file is gone is shown as if it were still there.
  useEffect(() => {
    if (seriesId === null) return;
    return courier.on('library.changed', () => {
      const gen = generation.current;
      invoke('library.instances', { seriesId }).then(
        (instances) => {
          if (gen !== generation.current) return;
          const held = new Set(instances.map((i) => i.id));
          setOthers((old) => (old.every((i) => held.has(i.id)) ? old : old.filter((i) => held.has(i.id))));
          setStack((old) => {
            if (old.every((e) => held.has(e.instanceId))) return old;
            const kept = old.filter((e) => held.has(e.instanceId));
            setIndex((i) => Math.max(0, Math.min(i, kept.length - 1)));
            if (!kept.length && !instances.length) {
              setState('error');
              setError('the files of this series are no longer in the library (deleted or moved)');
            }
            return kept;
          });
        },
        () => undefined,
      );
    });
  }, [seriesId]);

  // Show stack[index].
  useEffect(() => {
    const entry = stack[index];
    const el = element.current;
    if (!entry || !el) return;
    const gen = generation.current;
    const wanted = ++requested.current;
    loading.current = true;
    withTimeout(loadImage(entry.imageId), LOAD_TIMEOUT_MS).then(
      (image) => {
        if (wanted !== requested.current || gen !== generation.current) return;
        loading.current = false;
        let viewport: Viewport | undefined;
        if (freshViewport.current) {
          viewport = cornerstone.getDefaultViewportForImage(el, image);
          viewport.voi = defaultWindow(image);
          imageVoi.current = voiOf(viewport);
          freshViewport.current = false;
        } else {
          viewport = cornerstone.getViewport(el);
          const own = (image as CourierImage).courier?.display;
          if (viewport && own && (own.windows.length || own.voiLuts.length) && sameVoi(voiOf(viewport), imageVoi.current)) {
            viewport.voi = defaultWindow(image);
            viewport.voiLUT = (image as CourierImage).voiLUT;
            imageVoi.current = voiOf(viewport);
          }
        }
        displayedIndex.current = index;
        cornerstone.displayImage(el, image, viewport);
        setState('shown');
        setError(null);
      },
      (err: unknown) => {
        if (wanted !== requested.current || gen !== generation.current) return;
        loading.current = false;
        setState('error');
        setError(`${entry.frame !== null ? `frame ${entry.frame + 1}, ` : ''}${transferSyntaxInfo(entry.transferSyntaxUID).name}: ${loadErrorMessage(err)}`);
      },
    );
  }, [stack, index]);

  // Prefetch the rest of the stack a few at a time, always the slice nearest to the one on screen
  // (ahead before behind), so a jump (End, the scrollbar) moves the prefetch front with it.
  const indexRef = useRef(0);
  indexRef.current = index;
  useEffect(() => {
    if (stack.length < 2) return;
    const gen = generation.current;
    const taken = new Uint8Array(stack.length);
    const pick = () => nearestUntaken(taken, indexRef.current);
    const worker = async () => {
      for (let i = pick(); i >= 0 && gen === generation.current; i = pick()) {
        taken[i] = 1;
        try {
          await loadImage(stack[i].imageId);
        } catch {
          // shown when scrolled to
        }
      }
    };
    for (let i = 0; i < PREFETCH_CONCURRENCY; i++) void worker();
  }, [stack]);

  const current = stack[index];
  useEffect(() => {
    onStatus({ instanceId: current?.instanceId ?? others[0]?.id ?? null, count: stack.length });
  }, [current?.instanceId, others, stack.length, onStatus]);

  const step = useCallback((delta: number, wrap = false) => setIndex((i) => stepIndex(i, delta, stack.length, wrap)), [stack.length]);

  // Wheel scrolls the stack (non-passive, so the page does not scroll instead).
  useEffect(() => {
    const el = element.current!;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      if (e.deltaY) step(e.deltaY > 0 ? 1 : -1);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [step]);

  // Cine.
  useEffect(() => {
    if (!cine.playing || !active || stack.length < 2) return;
    const timer = setInterval(() => {
      if (!loading.current) step(1, true);
    }, 1000 / Math.max(1, Math.min(120, cine.fps)));
    return () => clearInterval(timer);
  }, [cine.playing, cine.fps, active, stack.length, step]);

  const withViewport = (change: (vp: Viewport) => void) => {
    const el = element.current!;
    const vp = cornerstone.getViewport(el);
    if (!vp || !cornerstone.getImage(el)) return;
    change(vp);
    cornerstone.setViewport(el, vp);
  };

  useImperativeHandle(
    ref,
    (): ViewportHandle => ({
      setWindow: (windowWidth, windowCenter) =>
        withViewport((vp) => {
          vp.voi = { windowWidth, windowCenter };
          vp.voiLUT = undefined;
        }),
      invert: () => withViewport((vp) => (vp.invert = !vp.invert)),
      fit: () => cornerstone.getImage(element.current!) && cornerstone.fitToWindow(element.current!),
      rotate: (d) => withViewport((vp) => (vp.rotation = (((vp.rotation + d) % 360) + 360) % 360)),
      flip: (axis) => withViewport((vp) => (axis === 'h' ? (vp.hflip = !vp.hflip) : (vp.vflip = !vp.vflip))),
      reset: () => {
        const el = element.current!;
        const image = cornerstone.getImage(el);
        if (!image) return;
        const vp = cornerstone.getDefaultViewportForImage(el, image);
        vp.voi = defaultWindow(image);
        imageVoi.current = voiOf(vp);
        cornerstone.setViewport(el, vp);
      },
      clearMeasurements: () => {
        const el = element.current!;
        cornerstoneTools.clearToolState(el, 'Length');
        if (cornerstone.getImage(el)) cornerstone.updateImage(el);
      },
      currentInstanceId: () => current?.instanceId ?? others[0]?.id ?? null,
    }),
    [current, others],
  );

  const onKeyDown = (e: KeyboardEvent) => {
    const keys: Record<string, number> = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, PageDown: 10, PageUp: -10 };
    if (e.key in keys) step(keys[e.key]);
    else if (e.key === 'Home') setIndex(0);
    else if (e.key === 'End') setIndex(Math.max(0, stack.length - 1));
    else return;
    e.preventDefault();
  };

  const series = context?.series;
  return (
    <div
      className={`pane${active ? ' active' : ''}${dragOver ? ' drag-over' : ''}`}
      tabIndex={0}
      onMouseDown={onActivate}
      onFocus={onActivate}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes(SERIES_DRAG_TYPE)) return;
        e.preventDefault();
        setDragOver(true);
      }}
      onDragLeave={() => setDragOver(false)}
      onDrop={(e) => {
        setDragOver(false);
        const id = Number(e.dataTransfer.getData(SERIES_DRAG_TYPE));
        if (id > 0) {
          e.preventDefault();
          onDropSeries(id);
        }
      }}
      data-testid="viewport"
      data-state={state}
      data-index={index}
      data-shown-index={shownIndex ?? ''}
      data-count={stack.length}
      data-instance-id={current?.instanceId ?? ''}
      data-series-id={stateSeries ?? ''}
      data-ww={overlay ? overlay.ww.toFixed(2) : ''}
      data-wc={overlay ? overlay.wc.toFixed(2) : ''}
      data-scale={overlay ? overlay.scale.toFixed(4) : ''}
      data-voi-lut={overlay?.voiLut ?? ''}
      data-overlays={overlay?.overlays ?? 0}
      data-rows={overlay?.rows ?? ''}
      data-columns={overlay?.columns ?? ''}
    >
      {/* Only an image of this series that loaded is on screen: not the last one while the next loads or fails. */}
      <div className="viewport-element" ref={element} style={{ visibility: state === 'shown' ? 'visible' : 'hidden' }} />
      {state === 'shown' || (state === 'error' && stack.length) ? (
        <div className="overlay">
          <div className="tl">
            <div>{formatName(context?.patient.PatientName)}</div>
            <div>{context?.patient.PatientID}</div>
          </div>
          <div className="tr">
            <div>{formatDate(context?.study.StudyDate)} {context?.study.StudyDescription}</div>
            <div>
              {series ? `Se ${series.SeriesNumber ?? '-'} ${series.Modality} ${series.SeriesDescription}` : ''}
            </div>
          </div>
          <div className="bl">
            <div data-testid="image-position">
              Im {index + 1}/{stack.length}
              {current?.frame !== null && current ? ` (frame ${current.frame + 1})` : ''}
            </div>
            {overlay && <div>{overlay.voiLut ? `VOI LUT: ${overlay.voiLut}` : `W ${formatWindow(overlay.ww)} L ${formatWindow(overlay.wc)}`}</div>}
          </div>
          <div className="br">{overlay && <div>Zoom {(overlay.scale * 100).toFixed(0)}%</div>}</div>
        </div>
      ) : null}
      {state === 'empty' && <div className="pane-message">Drop a series here or click one in the library</div>}
      {state === 'loading' && <div className="pane-message">Loading…</div>}
      {state === 'error' && (
        <div className="pane-message error" data-testid="viewport-error">
          This image cannot be shown: {error}
        </div>
      )}
      {state === 'no-images' && (
        <div className="pane-message objects">
          <p>
            {series?.Modality} series without images — {others.length} object{others.length === 1 ? '' : 's'}:
          </p>
          <ul>
            {others.map((o) => (
              <li key={o.id}>
                {objectKind(o.SOPClassUID)} {o.InstanceNumber !== null ? `#${o.InstanceNumber}` : ''}{' '}
                <button onClick={() => onShowTags(o.id)} data-testid="show-object-tags">
                  Show tags
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {stack.length > 1 && (
        <input
          className="stack-scrollbar"
          type="range"
          min={0}
          max={stack.length - 1}
          value={index}
          onChange={(e) => setIndex(Number(e.target.value))}
          aria-label="Image in stack"
          data-testid="stack-scrollbar"
        />
      )}
    </div>
  );
}
