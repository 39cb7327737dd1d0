/**
 * Export to CD/USB: writes the library selection as a DICOMDIR file-set (PS3.10/PS3.11, IHE PDI)
 * into a new or empty folder, optionally with an ISO 9660 image, as a job with progress and cancel.
 */
import { useEffect, useRef, useState } from 'react';
import type { ExportProfile, ExportResult, IsoSupport, JobFinished, JobProgress } from '../../../shared/contract/index.ts';
import { courier, errorMessage, inBrowserHost, invoke } from '../../api/courier.ts';
import { isEmptySelection, scopeOf, type LibrarySelection } from '../selection.ts';
import { plural } from '../../../shared/words.ts';

/** A File-set ID problem for the form (PS3.10 §8.2: CS, ≤ 16 of A–Z 0–9 _ space), or null. */
function fileSetIdProblem(id: string): string | null {
  if (id.length > 16) return 'At most 16 characters';
  if (!/^[A-Z0-9_ ]*$/.test(id)) return 'Only A–Z, 0–9, _ and space';
  return null;
}

type Phase = { kind: 'idle' } | { kind: 'running'; jobId: string; progress: JobProgress | null } | { kind: 'done'; result: ExportResult } | { kind: 'failed'; message: string } | { kind: 'cancelled' };

/** The export panel. */
export default function ExportPanel({ selection, summary }: { selection: LibrarySelection; summary: string | null }) {
  const [profiles, setProfiles] = useState<{ id: ExportProfile; title: string }[]>([]);
  const [iso, setIso] = useState<IsoSupport | null>(null);
  const [out, setOut] = useState('');
  const [profile, setProfile] = useState<ExportProfile>('STD-GEN-CD');
  const [fileSetId, setFileSetId] = useState('COURIER');
  const [makeIso, setMakeIso] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });

  useEffect(() => {
    invoke('export.profiles', undefined).then(setProfiles, () => undefined);
    invoke('export.isoSupport', undefined).then(setIso, () => undefined);
  }, []);

  const jobId = phase.kind === 'running' ? phase.jobId : null;
  // Events are kept by job id from mount on: a small export can finish before invoke's answer is rendered.
  const seen = useRef(new Map<string, { progress?: JobProgress; finished?: JobFinished }>());
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const note = (id: string, patch: { progress?: JobProgress; finished?: JobFinished }) => {
      seen.current.set(id, { ...seen.current.get(id), ...patch });
      setTick((t) => t + 1);
    };
    const offProgress = courier.on('job.progress', (p) => {
      if (p.kind === 'export') note(p.jobId, { progress: p });
    });
    const offFinished = courier.on('job.finished', (f) => {
      if (f.kind === 'export') note(f.jobId, { finished: f });
    });
    return () => {
      offProgress();
      offFinished();
    };
  }, []);
  useEffect(() => {
    if (!jobId) return;
    const state = seen.current.get(jobId);
    const f = state?.finished;
    if (f) {
      seen.current.delete(jobId);
      if (f.status === 'done') setPhase({ kind: 'done', result: f.result as ExportResult });
      else if (f.status === 'cancelled') setPhase({ kind: 'cancelled' });
      else setPhase({ kind: 'failed', message: f.error?.message ?? 'The export failed' });
    } else if (state?.progress && state.progress !== (phase.kind === 'running' ? phase.progress : null)) {
      setPhase({ kind: 'running', jobId, progress: state.progress });
    }
  }, [jobId, tick, phase]);

  const idProblem = fileSetIdProblem(fileSetId);
  const nothing = isEmptySelection(selection);
  const canStart = !nothing && out.trim() !== '' && !idProblem && phase.kind !== 'running';

  const choose = async () => {
    try {
      const { path } = await invoke('app.chooseFolder', undefined);
      if (path) setOut(path);
    } catch (err) {
      setPhase({ kind: 'failed', message: errorMessage(err) });
    }
  };

  const start = async () => {
    try {
      const { jobId: id } = await invoke('export.start', {
        ...scopeOf(selection),
        out: out.trim(),
        profile,
        fileSetId,
        iso: makeIso,
      });
      setPhase({ kind: 'running', jobId: id, progress: null });
    } catch (err) {
      setPhase({ kind: 'failed', message: errorMessage(err) });
    }
  };

  const cancel = () => {
    if (jobId) invoke('job.cancel', { jobId }).catch((err) => setPhase({ kind: 'failed', message: errorMessage(err) }));
  };

  return (
    <div className="panel export-panel" data-testid="export-panel">
      <h2>Export to CD / USB</h2>
      <p>
        {nothing
          ? 'Select patients, studies or series in the library to export them.'
          : `Selected: ${summary ?? '…'}. They are written as a DICOMDIR file-set that any DICOM viewer can open.`}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (canStart) void start();
        }}
        style={{ display: 'grid', gridTemplateColumns: 'max-content minmax(0, 40em)', gap: '8px 12px', alignItems: 'center' }}
      >
        <label htmlFor="export-out">Folder</label>
        <div className="path-form">
          <input
            id="export-out"
            value={out}
            onChange={(e) => setOut(e.target.value)}
            placeholder="/path/to/new-or-empty-folder"
            data-testid="export-out"
          />
          {!inBrowserHost && (
            <button type="button" onClick={choose}>
              Choose…
            </button>
          )}
        </div>
        <span />
        <small className="meta">A new or empty folder: nothing already there is ever overwritten.</small>

        <label htmlFor="export-profile">Profile</label>
        <select id="export-profile" value={profile} onChange={(e) => setProfile(e.target.value as ExportProfile)} data-testid="export-profile">
          {(profiles.length ? profiles : [{ id: 'STD-GEN-CD' as const, title: 'General Purpose CD-R Interchange (uncompressed)' }]).map((p) => (
            <option key={p.id} value={p.id}>
              {p.id} — {p.title}
            </option>
          ))}
        </select>

        <label htmlFor="export-fsid">File-set ID</label>
        <div>
          <input
            id="export-fsid"
            value={fileSetId}
            maxLength={16}
            onChange={(e) => setFileSetId(e.target.value.toUpperCase())}
            aria-invalid={idProblem !== null}
            data-testid="export-fileset-id"
          />
          {idProblem && <span className="banner error small">{idProblem}</span>}
        </div>

        <label htmlFor="export-iso">ISO image</label>
        <div>
          <label>
            <input id="export-iso" type="checkbox" checked={makeIso} disabled={!iso?.available} onChange={(e) => setMakeIso(e.target.checked)} />{' '}
            Also write an ISO 9660 image ready to burn (next to the folder, <code>&lt;folder&gt;.iso</code>)
          </label>
          {iso && !iso.available && (
            <div className="banner small" data-testid="export-iso-hint">
              {iso.hint}
            </div>
          )}
        </div>

        <span />
        <div>
          <button type="submit" disabled={!canStart} data-testid="export-start">
            Export…
          </button>
        </div>
      </form>

      {phase.kind === 'running' && (
        <div className="index-status" data-testid="export-progress" style={{ marginTop: 12 }}>
          <span>
            Exporting {phase.progress ? `${phase.progress.done}/${phase.progress.total ?? '?'}` : '…'}
          </span>
          <progress max={phase.progress?.total ?? 1} value={phase.progress?.done ?? 0} />
          <button onClick={cancel} data-testid="export-cancel">
            Cancel
          </button>
        </div>
      )}
      {phase.kind === 'cancelled' && <p data-testid="export-cancelled">Export cancelled; nothing was written.</p>}
      {phase.kind === 'failed' && (
        <div className="banner error" role="alert" data-testid="export-error">
          {phase.message}
        </div>
      )}
      {phase.kind === 'done' && <ExportReport result={phase.result} />}
    </div>
  );
}

/** What an export wrote, what it transcoded, what it could not export and which keys it filled. */
function ExportReport({ result }: { result: ExportResult }) {
  return (
    <div data-testid="export-result" style={{ marginTop: 12 }}>
      <p>
        <strong>{result.instances}</strong> instances written to <code>{result.dicomdir}</code> ({result.profile}, File-set ID {result.fileSetId}) in{' '}
        {result.seconds.toFixed(1)} s; <strong>{result.transcoded}</strong> transcoded.
        {result.iso && (
          <>
            {' '}
            ISO image: <code>{result.iso}</code>
          </>
        )}
      </p>
      {result.errors.length > 0 && (
        <details open>
          <summary className="banner error small">{plural(result.errors.length, 'file')} could not be exported</summary>
          <ul data-testid="export-errors">
            {result.errors.map((e) => (
              <li key={e.path}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      {result.notes.length > 0 && (
        <details>
          <summary>{plural(result.notes.length, 'file')} transcoded or merged</summary>
          <ul>
            {result.notes.map((n) => (
              <li key={n.path}>
                <code>{n.path}</code>: {n.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      {result.filled.length > 0 && (
        <details>
          <summary>{plural(result.filled.length, 'required directory key')} missing in the files {result.filled.length === 1 ? 'was' : 'were'} filled</summary>
          <ul>
            {result.filled.map((f, i) => (
              <li key={i}>
                {f.record} {f.key} = “{f.value}” (<code>{f.path}</code>)
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
