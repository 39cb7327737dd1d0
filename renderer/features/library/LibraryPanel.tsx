/**
 * The library panel: open a folder (dialog in Electron, path field or drop in the browser host),
 * filter, and browse patients → studies → series with thumbnails. Checkboxes make the selection
 * that export and send act on; clicking a series shows it; series can be dragged onto a viewport.
 */
import { useCallback, useEffect, useMemo, useState, type DragEvent, type FormEvent } from 'react';
import type { PatientRow, SeriesRow, StudyRow } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import type { LibrarySelection } from '../selection.ts';
import { formatDate, formatName } from '../format.ts';
import { SeriesThumbnail } from './SeriesThumbnail.tsx';

/** The drag type that carries a series id onto a viewport. */
export const SERIES_DRAG_TYPE = 'application/x-courier-series';

interface Props {
  host: 'electron' | 'browser' | null;
  selection: LibrarySelection;
  onSelectionChange(s: LibrarySelection): void;
  onOpenSeries(seriesId: number): void;
}

/** A path from a drop: file manager drags carry file:// URIs (text/uri-list) or a plain path. */
export function pathFromDrop(data: DataTransfer): string | null {
  const uris = data.getData('text/uri-list') || data.getData('text/plain');
  const first = uris.split(/\r?\n/).find((l) => l.trim() && !l.startsWith('#'))?.trim();
  // In Electron a dropped folder is a File whose path the preload can tell.
  if (!first) return data.files.length && courier.pathForFile ? courier.pathForFile(data.files[0]) || null : null;
  if (first.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(first).pathname);
    } catch {
      return null;
    }
  }
  return first.startsWith('/') ? first : null;
}

/** The library browser. */
export function LibraryPanel({ host, selection, onSelectionChange, onOpenSeries }: Props) {
  const [filter, setFilter] = useState('');
  const [patients, setPatients] = useState<PatientRow[]>([]);
  const [studies, setStudies] = useState<Map<number, StudyRow[]>>(new Map());
  const [series, setSeries] = useState<Map<number, SeriesRow[]>>(new Map());
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [dropping, setDropping] = useState(false);

  useEffect(() => courier.on('library.changed', () => setGeneration((g) => g + 1)), []);

  // Patients (filtered); small libraries open fully so their series are one click away.
  useEffect(() => {
    let live = true;
    const t = setTimeout(async () => {
      try {
        const rows = await invoke('library.patients', { filter: filter || undefined });
        if (!live) return;
        const st = new Map<number, StudyRow[]>();
        const se = new Map<number, SeriesRow[]>();
        const open = new Set<string>();
        if (rows.length <= 5) {
          await Promise.all(
            rows.map(async (p) => {
              const ss = await invoke('library.studies', { patientId: p.id });
              st.set(p.id, ss);
              open.add(`p${p.id}`);
              await Promise.all(
                ss.map(async (s) => {
                  se.set(s.id, await invoke('library.series', { studyId: s.id }));
                  open.add(`s${s.id}`);
                }),
              );
            }),
          );
        }
        if (!live) return;
        setPatients(rows);
        setStudies(st);
        setSeries(se);
        setExpanded(open);
        setError(null);
      } catch (err) {
        if (live) setError(errorMessage(err));
      }
    }, filter ? 200 : 0);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [filter, generation]);

  const toggle = useCallback(
    async (key: string) => {
      const next = new Set(expanded);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      setExpanded(next);
      try {
        const id = Number(key.slice(1));
        if (key.startsWith('p') && !studies.has(id)) {
          const rows = await invoke('library.studies', { patientId: id });
          setStudies((m) => new Map(m).set(id, rows));
        } else if (key.startsWith('s') && !series.has(id)) {
          const rows = await invoke('library.series', { studyId: id });
          setSeries((m) => new Map(m).set(id, rows));
        }
      } catch (err) {
        setError(errorMessage(err));
      }
    },
    [expanded, studies, series],
  );

  const index = useCallback(async (target: string) => {
    setError(null);
    try {
      await invoke('library.index', { path: target });
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);

  const chooseFolder = useCallback(async () => {
    try {
      const { path: chosen } = await invoke('app.chooseFolder', undefined);
      if (chosen) await index(chosen);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [index]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (path.trim()) void index(path.trim());
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDropping(false);
    const dropped = pathFromDrop(e.dataTransfer);
    if (dropped) {
      setPath(dropped);
      void index(dropped);
    } else setError('Drop a folder from your file manager (its path is needed), or type the path.');
  };

  const check = (kind: keyof LibrarySelection, id: number, on: boolean) => {
    const ids = new Set(selection[kind]);
    if (on) ids.add(id);
    else ids.delete(id);
    onSelectionChange({ ...selection, [kind]: [...ids] });
  };
  const selectedCount = useMemo(
    () => selection.patientIds.length + selection.studyIds.length + selection.seriesIds.length,
    [selection],
  );

  return (
    <aside
      className={dropping ? 'library dropping' : 'library'}
      data-testid="library"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(SERIES_DRAG_TYPE)) return;
        e.preventDefault();
        setDropping(true);
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={(e) => {
        if (!e.dataTransfer.types.includes(SERIES_DRAG_TYPE)) onDrop(e);
      }}
    >
      <div className="library-open">
        {host === 'electron' ? (
          <button onClick={chooseFolder}>Open folder…</button>
        ) : (
          <form onSubmit={onSubmit} className="path-form">
            <input
              aria-label="Folder, DICOMDIR or CD path"
              placeholder="/path/to/folder, DICOMDIR or CD — or drop a folder"
              value={path}
              onChange={(e) => setPath(e.target.value)}
              data-testid="open-path"
            />
            <button type="submit" data-testid="open-button">
              Open
            </button>
          </form>
        )}
      </div>
      <input
        className="filter"
        type="search"
        placeholder="Filter by name, ID or date"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        data-testid="library-filter"
      />
      {error && <div className="banner error small">{error}</div>}
      <div className="tree" role="tree">
        {patients.length === 0 && <p className="empty">{filter ? 'No patient matches.' : 'The library is empty: open a folder.'}</p>}
        {patients.map((p) => (
          <div key={p.id} className="node patient" role="treeitem" aria-expanded={expanded.has(`p${p.id}`)} data-testid="patient-row">
            <div className="row">
              <button className="twisty" onClick={() => toggle(`p${p.id}`)} aria-label="Expand">
                {expanded.has(`p${p.id}`) ? '▾' : '▸'}
              </button>
              <input
                type="checkbox"
                checked={selection.patientIds.includes(p.id)}
                onChange={(e) => check('patientIds', p.id, e.target.checked)}
                aria-label={`Select patient ${formatName(p.PatientName)}`}
              />
              <span className="title">{formatName(p.PatientName) || '(no name)'}</span>
              <span className="meta">
                {p.PatientID} {p.PatientSex} {formatDate(p.PatientBirthDate)} · {p.studyCount} stud{p.studyCount === 1 ? 'y' : 'ies'}
              </span>
            </div>
            {expanded.has(`p${p.id}`) &&
              (studies.get(p.id) ?? []).map((s) => (
                <div key={s.id} className="node study" role="treeitem" aria-expanded={expanded.has(`s${s.id}`)}>
                  <div className="row">
                    <button className="twisty" onClick={() => toggle(`s${s.id}`)} aria-label="Expand">
                      {expanded.has(`s${s.id}`) ? '▾' : '▸'}
                    </button>
                    <input
                      type="checkbox"
                      checked={selection.studyIds.includes(s.id)}
                      onChange={(e) => check('studyIds', s.id, e.target.checked)}
                      aria-label="Select study"
                    />
                    <span className="title">{formatDate(s.StudyDate) || '(no date)'}</span>
                    <span className="meta">
                      {s.modalities} {s.StudyDescription} · {s.seriesCount} series, {s.instanceCount} images
                    </span>
                  </div>
                  {expanded.has(`s${s.id}`) &&
                    (series.get(s.id) ?? []).map((se) => (
                      <div
                        key={se.id}
                        className="node series row"
                        role="treeitem"
                        draggable
                        onDragStart={(e) => e.dataTransfer.setData(SERIES_DRAG_TYPE, String(se.id))}
                        data-testid="series-row"
                        data-series-id={se.id}
                        data-modality={se.Modality}
                      >
                        <input
                          type="checkbox"
                          checked={selection.seriesIds.includes(se.id)}
                          onChange={(e) => check('seriesIds', se.id, e.target.checked)}
                          aria-label="Select series"
                        />
                        <button className="series-open" onClick={() => onOpenSeries(se.id)} title="Show this series">
                          <SeriesThumbnail seriesId={se.id} />
                          <span className="series-text">
                            <span className="title">
                              {se.SeriesNumber ?? ''} {se.Modality} {se.SeriesDescription}
                            </span>
                            <span className="meta">
                              {se.instanceCount} object{se.instanceCount === 1 ? '' : 's'}
                            </span>
                          </span>
                        </button>
                      </div>
                    ))}
                </div>
              ))}
          </div>
        ))}
      </div>
      {selectedCount > 0 && (
        <div className="selection-bar">
          {selectedCount} selected
          <button className="link" onClick={() => onSelectionChange({ patientIds: [], studyIds: [], seriesIds: [] })}>
            Clear
          </button>
        </div>
      )}
    </aside>
  );
}
