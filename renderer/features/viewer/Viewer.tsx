/**
 * The viewer: a toolbar acting on the active viewport, a 1×1, 1×2 or 2×2 grid of viewports, and
 * the tag browser beside them.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { LEFT_TOOLS, initCornerstone, setLeftTool, type LeftTool } from './cornerstone.ts';
import { CT_PRESETS } from './presets.ts';
import { TagBrowser } from './TagBrowser.tsx';
import { ViewportPane, type ViewportHandle, type ViewportStatus } from './ViewportPane.tsx';

type Layout = '1x1' | '1x2' | '2x2';
const LAYOUT_PANES: Record<Layout, number> = { '1x1': 1, '1x2': 2, '2x2': 4 };
const TOOL_LABELS: Record<LeftTool, string> = { Wwwc: 'W/L', Pan: 'Pan', Zoom: 'Zoom', Length: 'Length' };

/** The viewer tab. `openSeries` (with a changing nonce) puts a series into the active viewport. */
export function Viewer({ openSeries }: { openSeries: { seriesId: number; nonce: number } | null }) {
  const [layout, setLayout] = useState<Layout>('1x1');
  const [panes, setPanes] = useState<(number | null)[]>([openSeries?.seriesId ?? null, null, null, null]);
  const [active, setActive] = useState(0);
  const [tool, setTool] = useState<LeftTool>('Wwwc');
  const [cine, setCine] = useState({ playing: false, fps: 15 });
  const [tagsOpen, setTagsOpen] = useState(false);
  const [overlays, setOverlays] = useState(true);
  const [tagInstance, setTagInstance] = useState<number | null>(null);
  const [statuses, setStatuses] = useState<ViewportStatus[]>([]);
  const handles = useRef<(ViewportHandle | null)[]>([]);

  useEffect(() => {
    if (!openSeries) return;
    setPanes((p) => p.map((s, i) => (i === active ? openSeries.seriesId : s)));
    // Only a new request moves a series; switching panes must not.
  }, [openSeries]);

  useEffect(() => {
    initCornerstone();
    setLeftTool(tool);
  }, [tool]);

  const count = LAYOUT_PANES[layout];
  useEffect(() => {
    if (active >= count) setActive(0);
  }, [active, count]);

  const statusSetters = useRef<((s: ViewportStatus) => void)[]>([]);
  const statusOf = (i: number) =>
    (statusSetters.current[i] ??= (s: ViewportStatus) =>
      setStatuses((all) => {
        const next = [...all];
        next[i] = s;
        return next;
      }));

  // The tag browser follows the active viewport's image unless an object was picked explicitly.
  const activeInstance = statuses[active]?.instanceId ?? null;
  useEffect(() => {
    if (tagsOpen) setTagInstance(activeInstance);
  }, [activeInstance, tagsOpen]);

  const showTags = useCallback((instanceId: number) => {
    setTagInstance(instanceId);
    setTagsOpen(true);
  }, []);

  const h = () => handles.current[active];
  return (
    <div className="viewer">
      <div className="toolbar" role="toolbar" data-testid="viewer-toolbar">
        <div className="group">
          {LEFT_TOOLS.map((t) => (
            <button key={t} className={tool === t ? 'on' : ''} aria-pressed={tool === t} onClick={() => setTool(t)} data-testid={`tool-${t}`}>
              {TOOL_LABELS[t]}
            </button>
          ))}
        </div>
        <div className="group">
          <select
            aria-label="Window preset"
            value=""
            onChange={(e) => {
              const p = CT_PRESETS.find((x) => x.id === e.target.value);
              if (p) h()?.setWindow(p.windowWidth, p.windowCenter);
            }}
            data-testid="preset"
          >
            <option value="">Presets…</option>
            {CT_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label} (W {p.windowWidth} L {p.windowCenter})
              </option>
            ))}
          </select>
          <button onClick={() => h()?.invert()} data-testid="invert">Invert</button>
          <button onClick={() => h()?.fit()}>Fit</button>
          <button onClick={() => h()?.rotate(90)} title="Rotate 90° clockwise">Rotate</button>
          <button onClick={() => h()?.flip('h')}>Flip H</button>
          <button onClick={() => h()?.flip('v')}>Flip V</button>
          <button onClick={() => h()?.clearMeasurements()}>Clear lengths</button>
          <button
            className={overlays ? 'on' : ''}
            aria-pressed={overlays}
            onClick={() => setOverlays(!overlays)}
            title="Show or hide the overlay planes (60xx) drawn over images"
            data-testid="overlays-toggle"
          >
            Overlays
          </button>
          <button onClick={() => h()?.reset()} data-testid="reset">Reset</button>
        </div>
        <div className="group">
          <button onClick={() => setCine((c) => ({ ...c, playing: !c.playing }))} aria-pressed={cine.playing} data-testid="cine">
            {cine.playing ? 'Stop' : 'Cine'}
          </button>
          <label className="fps">
            <input
              type="number"
              min={1}
              max={60}
              value={cine.fps}
              onChange={(e) => setCine((c) => ({ ...c, fps: Math.max(1, Math.min(60, Number(e.target.value) || 1)) }))}
              aria-label="Frames per second"
            />
            fps
          </label>
        </div>
        <div className="group">
          {(Object.keys(LAYOUT_PANES) as Layout[]).map((l) => (
            <button key={l} className={layout === l ? 'on' : ''} aria-pressed={layout === l} onClick={() => setLayout(l)} data-testid={`layout-${l}`}>
              {l.replace('x', '×')}
            </button>
          ))}
        </div>
        <div className="group">
          <button
            className={tagsOpen ? 'on' : ''}
            aria-pressed={tagsOpen}
            onClick={() => {
              setTagsOpen(!tagsOpen);
              setTagInstance(activeInstance);
            }}
            data-testid="tags-toggle"
          >
            Tags
          </button>
        </div>
      </div>
      <div className="viewer-body">
        <div className={`grid layout-${layout}`}>
          {Array.from({ length: count }, (_, i) => (
            <ViewportPane
              key={i}
              ref={(x) => {
                handles.current[i] = x;
              }}
              seriesId={panes[i]}
              active={i === active}
              cine={cine}
              showOverlays={overlays}
              onActivate={() => setActive(i)}
              onDropSeries={(id) => {
                setActive(i);
                setPanes((p) => p.map((s, j) => (j === i ? id : s)));
              }}
              onStatus={statusOf(i)}
              onShowTags={showTags}
            />
          ))}
        </div>
        {tagsOpen && <TagBrowser instanceId={tagInstance} onClose={() => setTagsOpen(false)} />}
      </div>
    </div>
  );
}
