/**
 * The library panel: open a folder (dialog in Electron, path field or drop in the browser host),
 * filter, and browse patients → studies → series with thumbnails. Checkboxes make the selection
 * that export and send act on; clicking a series shows it; series can be dragged onto a viewport.
 */
import { useCallback, useEffect, useMemo, useState, type DragEvent, type FormEvent, type ReactNode } from 'react';
import type { PatientRow, SeriesRow, StudyRow } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import { EMPTY_SELECTION, isEmptySelection, patientsTouched, tickState, toggle as toggleTick, withoutPatients, type LibrarySelection, type TreeChildren, type TreeNode } from '../selection.ts';
import { formatDate, formatName } from '../format.ts';
import { plural } from '../../../shared/words.ts';
import { Conflicts } from './Conflicts.tsx';
import { SeriesThumbnail } from './SeriesThumbnail.tsx';

/** The drag type that carries a series id onto a viewport. */
export const SERIES_DRAG_TYPE = 'application/x-courier-series';

interface Props {
  host: 'electron' | 'browser' | null;
  selection: LibrarySelection;
  onSelectionChange(s: LibrarySelection): void;
  onOpenSeries(seriesId: number): void;
  /** What the selection holds, for people (patients · studies · images · MB), or null while unknown. */
  selectionSummary: string | null;
  /** Buttons shown beside the summary while something is selected (Send…, Export). */
  selectionActions?: ReactNode;
}

/** A checkbox that shows 'partial' as the indeterminate (mixed) state. */
function TickBox({ state, label, onChange }: { state: 'on' | 'off' | 'partial'; label: string; onChange(on: boolean): void }) {
  return (
    <input
      type="checkbox"
      ref={(el) => {
        if (el) el.indeterminate = state === 'partial';
      }}
      checked={state === 'on'}
      aria-checked={state === 'partial' ? 'mixed' : state === 'on'}
      onChange={(e) => onChange(state === 'partial' ? true : e.target.checked)}
      aria-label={label}
    />
  );
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
export function LibraryPanel({ host, selection, onSelectionChange, onOpenSeries, selectionSummary, selectionActions }: Props) {
  const [filter, setFilter] = useState('');
  const [patients, setPatients] = useState<PatientRow[]>([]);
  /** The filter `patients` was loaded with ('': the whole library; null: not loaded yet). */
  const [patientsFilter, setPatientsFilter] = useState<string | null>(null);
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
        setPatientsFilter(filter);
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

  // Ticking a patient or study takes what is under it; the tree tells which children exist.
  const children: TreeChildren = useMemo(
    () => ({ studiesOf: (id) => studies.get(id)?.map((r) => r.id), seriesOf: (id) => series.get(id)?.map((r) => r.id) }),
    [studies, series],
  );
  const tick = (node: TreeNode, on: boolean) => onSelectionChange(toggleTick(selection, node, on, children));
  // A selected patient the library no longer holds (every file deleted, e.g. after a commitment) is no longer selected:
  // known only from an unfiltered list, so one the filter merely hides stays selected.
  useEffect(() => {
    if (filter || patientsFilter !== '') return;
    const held = new Set(patients.map((p) => p.id));
    const gone = [...patientsTouched(selection)].filter((id) => !held.has(id));
    if (gone.length) onSelectionChange(withoutPatients(selection, gone));
  }, [patients, patientsFilter, filter, selection, onSelectionChange]);
  // Selected patients the filter hides are still selected: say so, never send them silently.
  const hidden = useMemo(() => {
    const shown = new Set(patients.map((p) => p.id));
    return [...patientsTouched(selection)].filter((id) => !shown.has(id));
  }, [patients, selection]);

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
      <Conflicts generation={generation} />
      <div className="tree" role="tree">
        {patients.length === 0 && <p className="empty">{filter ? 'No patient matches.' : 'The library is empty: open a folder.'}</p>}
        {patients.map((p) => (
          <div key={p.id} className="node patient" role="treeitem" aria-expanded={expanded.has(`p${p.id}`)} data-testid="patient-row">
            <div className="row">
              <button className="twisty" onClick={() => toggle(`p${p.id}`)} aria-label="Expand">
                {expanded.has(`p${p.id}`) ? '▾' : '▸'}
              </button>
              <TickBox
                state={tickState(selection, { kind: 'patient', id: p.id })}
                onChange={(on) => tick({ kind: 'patient', id: p.id }, on)}
                label={`Select patient ${formatName(p.PatientName)}`}
              />
              <span className="title">{formatName(p.PatientName) || '(no name)'}</span>
              <span className="meta">
                {p.PatientID} {p.PatientSex} {formatDate(p.PatientBirthDate)} · {p.studyCount} stud{p.studyCount === 1 ? 'y' : 'ies'}
              </span>
            </div>
            {p.conflicts > 0 && (
              <div className="row-notes">
                <span className="badge warn" title="Files of these studies name another Patient ID too: see the list above" data-testid="patient-conflict">
                  ⚠ {p.conflicts === 1 ? 'a study' : `${p.conflicts} studies`} also named by another patient
                </span>
              </div>
            )}
            {expanded.has(`p${p.id}`) &&
              (studies.get(p.id) ?? []).map((s) => (
                <div key={s.id} className="node study" role="treeitem" aria-expanded={expanded.has(`s${s.id}`)}>
                  <div className="row">
                    <button className="twisty" onClick={() => toggle(`s${s.id}`)} aria-label="Expand">
                      {expanded.has(`s${s.id}`) ? '▾' : '▸'}
                    </button>
                    <TickBox
                      state={tickState(selection, { kind: 'study', id: s.id, patientId: p.id })}
                      onChange={(on) => tick({ kind: 'study', id: s.id, patientId: p.id }, on)}
                      label={`Select study ${formatDate(s.StudyDate)} ${s.StudyDescription}`.trim()}
                    />
                    {s.unfiled ? (
                      <span className="title unfiled" title="These files have no Study Instance UID: you can view them, but they cannot be sent or exported" data-testid="unfiled-study">
                        Unfiled
                      </span>
                    ) : (
                      <span className="title">{formatDate(s.StudyDate) || '(no date)'}</span>
                    )}
                    <span className="meta">
                      {s.unfiled ? 'no Study Instance UID · not sent or exported · ' : `${s.modalities} ${s.StudyDescription} · `}
                      {plural(s.seriesCount, 'series', 'series')}, {plural(s.instanceCount, 'object')}
                    </span>
                  </div>
                  {(s.otherPatients > 0 || s.contentConflicts > 0) && (
                    <div className="row-notes">
                      {s.otherPatients > 0 && (
                        <span className="badge warn" title="Some files of this study name another Patient ID" data-testid="study-conflict">
                          ⚠ also named by {s.otherPatients === 1 ? 'another patient' : `${s.otherPatients} other patients`}
                        </span>
                      )}
                      {s.contentConflicts > 0 && (
                        <span className="badge warn" title="The same SOP Instance UID is in files with different contents" data-testid="study-content-conflict">
                          ⚠ {s.contentConflicts === 1 ? '1 image differs' : `${s.contentConflicts} images differ`} between files
                        </span>
                      )}
                    </div>
                  )}
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
                        <TickBox
                          state={tickState(selection, { kind: 'series', id: se.id, studyId: s.id, patientId: p.id })}
                          onChange={(on) => tick({ kind: 'series', id: se.id, studyId: s.id, patientId: p.id }, on)}
                          label={`Select series ${se.SeriesNumber ?? ''} ${se.Modality} ${se.SeriesDescription}`.replace(/\s+/g, ' ').trim()}
                        />
                        <button className="series-open" onClick={() => onOpenSeries(se.id)} title="Show this series">
                          <SeriesThumbnail seriesId={se.id} />
                          <span className="series-text">
                            <span className="title">
                              {se.unfiled ? 'Unfiled: no Series Instance UID · ' : ''}
                              {se.SeriesNumber ?? ''} {se.Modality} {se.SeriesDescription}
                            </span>
                            <span className="meta">
                              {plural(se.instanceCount, 'object')}
                            </span>
                            {se.contentConflicts > 0 && (
                              <span className="badge warn" data-testid="series-content-conflict">
                                ⚠ {se.contentConflicts === 1 ? '1 image differs' : `${se.contentConflicts} images differ`} between files
                              </span>
                            )}
                          </span>
                        </button>
                      </div>
                    ))}
                </div>
              ))}
          </div>
        ))}
      </div>
      {!isEmptySelection(selection) && (
        <div className="selection-bar" data-testid="selection-bar">
          <div className="selection-summary">
            <span data-testid="selection-summary">Selected: {selectionSummary ?? '…'}</span>
            <button className="link" onClick={() => onSelectionChange(EMPTY_SELECTION)}>
              Clear
            </button>
          </div>
          {hidden.length > 0 && (
            <div className="selection-hidden" role="status" data-testid="selection-hidden">
              {hidden.length === 1 ? '1 selected patient is' : `${hidden.length} selected patients are`} hidden by the filter and included.{' '}
              <button className="link" onClick={() => onSelectionChange(withoutPatients(selection, hidden))}>
                Deselect {hidden.length === 1 ? 'it' : 'them'}
              </button>
            </div>
          )}
          {selectionActions ? <div className="selection-actions">{selectionActions}</div> : null}
        </div>
      )}
    </aside>
  );
}
