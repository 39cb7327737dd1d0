/**
 * The send queue: one live view per job — stores (instances, MB, rate, time left; pause, resume,
 * cancel, retry failed), then its storage commitment (requested → committed / failed / pending →
 * deleted), per study and per instance with failures first, each instance's DIMSE status, its
 * commitment word and what became of its local file; a finished job sent without commitment can
 * ask for it, keeping the files or deleting each once committed (RequestCommitment.tsx). New sends
 * start from the Send dialog.
 */
import { formatName } from '../format.ts';
import { commitmentAsked } from '../../../shared/contract/send.ts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SendInstanceRow, SendJobRow, SendJobStudy, SendProgress } from '../../../shared/contract/index.ts';
import { instanceStage, jobOutcome, transcodeNote } from './stages.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import { isEmptySelection } from '../selection.ts';
import type { LibrarySelection } from '../selection.ts';
import { CommitCountsView } from '../commit/CommitCounts.tsx';
import { megabytes } from '../selectionSummary.ts';
import { StackBar } from '../StackBar.tsx';
import { latestOnly } from '../latest.ts';
import { RequestCommitment } from './RequestCommitment.tsx';

const hex = (s: number | null) => (s === null ? '' : `0x${s.toString(16).toUpperCase().padStart(4, '0')}`);
function duration(s: number | null): string {
  if (s === null) return '';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
const COMMIT_STATE_TEXT = {
  waiting: 'to be requested when the stores end',
  requesting: 'being requested',
  pending: 'requested, waiting for the report',
  done: 'done',
  failed: 'could not be requested',
} as const;

/** The job's storage commitment is being asked for: its files may still be deleted, so it stays on the list. */
const commitAsked = (j: SendJobRow) => commitmentAsked(j.commit);

/** A finished job sent without commitment, that stored something: it can ask for commitment now. */
const canRequest = (j: SendJobRow) => j.state === 'done' && !j.commit?.request && j.success + j.warning > 0;

/** The send queue panel. */
export default function SendPanel(props: {
  selection: LibrarySelection;
  summary: string | null;
  /** The job to show expanded (the one just started). */
  openJob: number | null;
  onNewSend(): void;
  /** Shows a commitment transaction in the Commitment tab. */
  onShowTransaction(transactionId: number): void;
}) {
  const { selection, summary, openJob, onNewSend, onShowTransaction } = props;
  const [jobs, setJobs] = useState<SendJobRow[]>([]);
  const [progress, setProgress] = useState<Record<number, SendProgress>>({});
  const [open, setOpen] = useState<number | null>(openJob);
  // The open job's rows, with its id: another job's rows never show under it, and only the latest answer counts.
  const [loaded, setLoaded] = useState<{ sendJobId: number; filter: string; instances: SendInstanceRow[]; studies: SendJobStudy[] } | null>(null);
  const [jobsCall, rowsCall] = useMemo(() => [latestOnly(), latestOnly()], []);
  const [filter, setFilter] = useState<'' | 'queued' | 'success' | 'warning' | 'failed'>('');
  const [error, setError] = useState<string | null>(null);
  /** The job whose "Request storage commitment" panel is open. */
  const [asking, setAsking] = useState<number | null>(null);

  useEffect(() => setOpen(openJob), [openJob]);
  const fail = useCallback((e: unknown) => setError(errorMessage(e)), []);
  const reloadJobs = useCallback(() => jobsCall(invoke('send.jobs', { limit: 50 }), setJobs, fail), [jobsCall, fail]);
  const reloadInstances = useCallback(() => {
    if (open === null) return;
    rowsCall(
      Promise.all([invoke('send.instances', { sendJobId: open, state: filter || undefined, problemsFirst: true, limit: 1000 }), invoke('send.studies', { sendJobId: open })]),
      ([instances, studies]) => setLoaded({ sendJobId: open, filter, instances, studies }),
      fail,
    );
  }, [open, filter, rowsCall, fail]);

  useEffect(() => reloadJobs(), [reloadJobs]);
  useEffect(() => reloadInstances(), [reloadInstances]);

  // Stores and commitment come as events; reload at most every 300 ms.
  const pending = useRef<number | null>(null);
  useEffect(() => {
    const later = () => {
      if (pending.current !== null) return;
      pending.current = window.setTimeout(() => {
        pending.current = null;
        reloadJobs();
        reloadInstances();
      }, 300);
    };
    const offChanged = courier.on('send.changed', later);
    const offCommit = courier.on('commit.changed', later);
    const offProgress = courier.on('send.progress', (p) => setProgress((m) => ({ ...m, [p.sendJobId]: p })));
    return () => {
      offChanged();
      offCommit();
      offProgress();
      if (pending.current !== null) window.clearTimeout(pending.current);
      pending.current = null;
    };
  }, [reloadJobs, reloadInstances]);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
      reloadJobs();
      reloadInstances();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const nothing = isEmptySelection(selection);
  const rows = loaded && loaded.sendJobId === open && loaded.filter === filter ? loaded : null;

  return (
    <div className="panel send" style={{ flex: 1 }}>
      <h2>Send queue</h2>
      {error ? (
        <div className="banner error" role="alert">
          {error}
        </div>
      ) : null}
      <section aria-label="New send" style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
        <span>{nothing ? 'Select patients, studies or series in the library.' : `Selected: ${summary ?? '…'}`}</span>
        <button className="primary" disabled={nothing} onClick={onNewSend}>
          Send…
        </button>
      </section>

      <section aria-label="Queue">
        <h3>Jobs</h3>
        {jobs.length === 0 ? <p className="empty">Nothing sent yet.</p> : null}
        {jobs.map((j) => {
          const p = progress[j.id];
          const done = j.state === 'running' && p ? p.done : j.success + j.warning + j.failed;
          const bytes = j.state === 'running' && p ? p.bytes : j.doneBytes;
          const outcome = jobOutcome(j);
          const sendingNow = j.state === 'running' && p ? p.sending.length : 0;
          return (
            <div key={j.id} className="send-job" data-testid="send-job" data-job-id={j.id} data-outcome={outcome.label} style={{ borderTop: '1px solid var(--line)', padding: '6px 0' }}>
              <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
                <button className="link" aria-expanded={open === j.id} onClick={() => setOpen(open === j.id ? null : j.id)}>
                  {open === j.id ? '▾' : '▸'} {j.description}
                </button>
                <span className={`state state-${j.state} tone-${outcome.tone}`} data-testid="job-state">
                  {outcome.label}
                </span>
                <span>
                  {done}/{j.total} · {j.success} stored{j.warning ? ` · ${j.warning} with warning` : ''}
                  {j.failed ? <span className="tone-fail"> · {j.failed} failed</span> : null} · {megabytes(bytes)} of {megabytes(j.totalBytes)}
                  {j.state === 'running' && p ? ` · ${megabytes(p.rate)}/s · ${p.secondsLeft === null ? '' : `${duration(p.secondsLeft)} left`}` : ''}
                </span>
                <span style={{ marginLeft: 'auto', display: 'flex', gap: 4 }}>
                  {j.state === 'running' ? <button onClick={() => void act(() => invoke('send.pause', { sendJobId: j.id }))}>Pause</button> : null}
                  {(j.state === 'paused' || j.state === 'cancelled' || j.state === 'queued') && j.queued > 0 ? (
                    <button onClick={() => void act(() => invoke('send.resume', { sendJobId: j.id }))}>Resume</button>
                  ) : null}
                  {j.state === 'running' || j.state === 'paused' || j.state === 'queued' ? (
                    <button onClick={() => void act(() => invoke('send.cancel', { sendJobId: j.id }))}>Cancel</button>
                  ) : null}
                  {canRequest(j) ? (
                    <button title="Ask the node to commit what this job stored (PS3.4 Annex J)" aria-expanded={asking === j.id} onClick={() => setAsking(asking === j.id ? null : j.id)}>
                      Request storage commitment…
                    </button>
                  ) : null}
                  {j.failed > 0 && j.state !== 'running' ? (
                    <button
                      disabled={commitAsked(j)}
                      title={commitAsked(j) ? 'Once the PACS has reported on what this job stored' : j.commit?.request ? 'Sends the failed images again, then asks the PACS to commit them' : undefined}
                      onClick={() => void act(() => invoke('send.retryFailed', { sendJobId: j.id }))}
                    >
                      Retry failed
                    </button>
                  ) : null}
                  {j.state !== 'running' && !commitAsked(j) ? (
                    <button
                      onClick={() =>
                        void act(async () => {
                          await invoke('send.remove', { sendJobId: j.id });
                          if (open === j.id) setOpen(null);
                        })
                      }
                    >
                      Remove
                    </button>
                  ) : null}
                </span>
              </div>
              <StackBar
                label={`Stores of job ${j.id}`}
                total={j.total}
                parts={[
                  { value: j.success, tone: 'ok', label: 'stored' },
                  { value: j.warning, tone: 'warn', label: 'stored with warning' },
                  { value: j.failed, tone: 'fail', label: 'failed' },
                  { value: sendingNow, tone: 'busy', label: 'sending' },
                ]}
              />
              {asking === j.id && canRequest(j) ? (
                <RequestCommitment
                  job={j}
                  onCancel={() => setAsking(null)}
                  onRequest={(deleteAfterCommit) => {
                    setAsking(null);
                    void act(() => invoke('commit.requestForSendJob', { sendJobId: j.id, deleteAfterCommit }));
                  }}
                />
              ) : null}
              {j.error ? (
                <div className="banner error small" data-testid="job-error">
                  {j.error}
                </div>
              ) : null}
              {j.commit?.request ? (
                <div className="job-commit" data-testid="job-commit" data-commit-state={j.commit.state} style={{ marginTop: 4 }}>
                  Storage commitment {COMMIT_STATE_TEXT[j.commit.state]}
                  {/* 'failed': nothing could be asked, so nothing was deleted (not "committed files are deleted"). */}
                  {j.commit.state === 'failed' ? ' (nothing deleted)' : j.commit.deleteAfterCommit ? ' (committed files are deleted)' : ' (files kept)'}
                  {j.commit.counts.total ? (
                    <>
                      : <CommitCountsView counts={j.commit.counts} />
                    </>
                  ) : null}
                  {j.commit.transactionIds.length ? (
                    <button className="link" onClick={() => onShowTransaction(j.commit!.transactionIds[j.commit!.transactionIds.length - 1])}>
                      Show in the Commitment tab
                    </button>
                  ) : null}
                  {j.commit.message ? (
                    // The job's own error already says why in red when nothing was stored: no second banner.
                    <div className={j.commit.state === 'failed' && !j.error ? 'banner error small' : 'tone-wait'} data-testid="job-commit-message">
                      {j.commit.message}
                    </div>
                  ) : null}
                </div>
              ) : null}
              {open === j.id ? (
                <div className="send-instances">
                  <h4>By study</h4>
                  <table className="compact" data-testid="job-studies">
                    <thead>
                      <tr>
                        <th>Patient</th>
                        <th>Study</th>
                        <th>Stored</th>
                        <th>Commitment</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows?.studies.map((s) => (
                        <tr key={s.StudyInstanceUID ?? 'unknown'} className={s.failed || (s.commit && s.commit.failed + s.commit.timedOut) ? 'row-fail' : undefined}>
                          <td>{s.PatientName ? formatName(s.PatientName) : '—'}</td>
                          <td title={s.StudyInstanceUID ?? ''}>{s.StudyDescription || s.StudyInstanceUID || '—'}</td>
                          <td>
                            {s.stored}/{s.total}
                            {s.failed ? <span className="tone-fail"> · {s.failed} failed</span> : null}
                          </td>
                          <td>{s.commit ? <CommitCountsView counts={s.commit} /> : 'not requested'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <h4>
                    Instances{' '}
                    <select aria-label="Show instances" value={filter} onChange={(e) => setFilter(e.target.value as typeof filter)}>
                      <option value="">all (problems first)</option>
                      <option value="queued">queued</option>
                      <option value="success">stored</option>
                      <option value="warning">stored with warning</option>
                      <option value="failed">store failed</option>
                    </select>
                  </h4>
                  <table className="compact" data-testid="job-instances" data-job-id={rows?.sendJobId}>
                    <thead>
                      <tr>
                        <th>Where it stands</th>
                        <th>Store status</th>
                        <th>SOP Instance UID</th>
                        <th>Local file</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows?.instances.map((i) => {
                        const stage = instanceStage(i, j, Boolean(p?.sending.includes(i.id)));
                        return (
                          <tr key={i.id} className={stage.tone === 'fail' ? 'row-fail' : undefined} data-sop-instance-uid={i.SOPInstanceUID ?? ''} data-commit={i.commit?.state ?? ''} data-deleted={i.commit?.deleted ? 'yes' : 'no'}>
                            <td className={`tone-${stage.tone}`} data-testid="instance-stage">
                              {stage.text}
                            </td>
                            <td>
                              {hex(i.status)} {i.message}
                              {transcodeNote(i)}
                            </td>
                            <td>
                              <code>{i.SOPInstanceUID}</code>
                            </td>
                            <td className="path">{i.path}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              ) : null}
            </div>
          );
        })}
      </section>
    </div>
  );
}
