/**
 * Send: the library selection to a node with C-STORE, and the queue — every job with its progress
 * (instances, MB, rate, time left), pause, resume, cancel, retry failed, and each instance's status
 * (the DIMSE status code and its meaning).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { NodeRow, SendInstanceRow, SendJobRow, SendProgress } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import { isEmptySelection, scopeOf, type LibrarySelection } from '../selection.ts';
import { StackBar } from '../StackBar.tsx';

const mb = (bytes: number) => (bytes < 1e6 ? `${Math.round(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);
const hex = (s: number | null) => (s === null ? '' : `0x${s.toString(16).toUpperCase().padStart(4, '0')}`);
function duration(s: number | null): string {
  if (s === null) return '';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
const STATE_COLOR: Record<string, string> = { success: '#1a7f37', warning: '#9a6700', failed: 'var(--danger)', queued: 'var(--muted)', sending: 'var(--accent)' };

/** What a job's state means for a person: a finished job whose every store failed has failed. */
export function jobOutcome(j: Pick<SendJobRow, 'state' | 'success' | 'warning' | 'failed' | 'queued' | 'error'>): { label: string; tone: 'ok' | 'warn' | 'fail' | 'wait' } {
  const stored = j.success + j.warning;
  if ((j.state as string) === 'failed' || (j.state === 'done' && j.failed > 0 && stored === 0)) return { label: 'failed', tone: 'fail' };
  if (j.state === 'done') return j.failed ? { label: `done, ${j.failed} failed`, tone: 'warn' } : { label: 'done', tone: 'ok' };
  if (j.state === 'paused' && j.error) return { label: 'stopped', tone: 'fail' };
  return { label: j.state, tone: j.state === 'running' ? 'ok' : 'wait' };
}

/** The send panel. */
export default function SendPanel({ selection, summary }: { selection: LibrarySelection; summary: string | null }) {
  const [nodes, setNodes] = useState<NodeRow[]>([]);
  const [nodeId, setNodeId] = useState<number | null>(null);
  const [jobs, setJobs] = useState<SendJobRow[]>([]);
  const [progress, setProgress] = useState<Record<number, SendProgress>>({});
  const [open, setOpen] = useState<number | null>(null);
  const [instances, setInstances] = useState<SendInstanceRow[]>([]);
  const [filter, setFilter] = useState<'' | 'queued' | 'success' | 'warning' | 'failed'>('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reloadJobs = useCallback(() => invoke('send.jobs', { limit: 50 }).then(setJobs, (e) => setError(errorMessage(e))), []);
  const reloadInstances = useCallback(() => {
    if (open === null) return;
    invoke('send.instances', { sendJobId: open, state: filter || undefined, limit: 1000 }).then(setInstances, (e) => setError(errorMessage(e)));
  }, [open, filter]);

  useEffect(() => {
    invoke('nodes.list', undefined).then(
      (list) => {
        setNodes(list);
        setNodeId((id) => id ?? list[0]?.id ?? null);
      },
      (e) => setError(errorMessage(e)),
    );
    void reloadJobs();
  }, [reloadJobs]);
  useEffect(() => reloadInstances(), [reloadInstances]);

  // Changes come as events; reload at most every 300 ms.
  const pending = useRef<number | null>(null);
  useEffect(() => {
    const offChanged = courier.on('send.changed', () => {
      if (pending.current !== null) return;
      pending.current = window.setTimeout(() => {
        pending.current = null;
        void reloadJobs();
        reloadInstances();
      }, 300);
    });
    const offProgress = courier.on('send.progress', (p) => setProgress((m) => ({ ...m, [p.sendJobId]: p })));
    return () => {
      offChanged();
      offProgress();
      if (pending.current !== null) window.clearTimeout(pending.current);
      pending.current = null;
    };
  }, [reloadJobs, reloadInstances]);

  const start = async () => {
    if (nodeId === null) return;
    setBusy(true);
    try {
      const { sendJobId } = await invoke('send.start', { nodeId, ...scopeOf(selection) });
      setOpen(sendJobId);
      setError(null);
      await reloadJobs();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
      await reloadJobs();
      reloadInstances();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const nothing = isEmptySelection(selection);

  return (
    <div className="panel send" style={{ flex: 1 }}>
      <h2>Send</h2>
      {error ? <div className="banner error" role="alert">{error}</div> : null}
      <section aria-label="New send" style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
        <span>{nothing ? 'Select patients, studies or series in the library.' : `Selected: ${summary ?? '…'}`}</span>
        <label>
          to{' '}
          <select aria-label="Destination" value={nodeId ?? ''} onChange={(e) => setNodeId(Number(e.target.value) || null)}>
            {nodes.length === 0 ? <option value="">No nodes: add one in Settings</option> : null}
            {nodes.map((n) => (
              <option key={n.id} value={n.id}>
                {n.name} ({n.aeTitle}@{n.host}:{n.port})
              </option>
            ))}
          </select>
        </label>
        <button disabled={nothing || nodeId === null || busy} onClick={() => void start()}>
          Send
        </button>
      </section>

      <section aria-label="Queue">
        <h3>Queue</h3>
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
                <span className={`state state-${j.state} tone-${outcome.tone}`}>{outcome.label}</span>
                <span>
                  {done}/{j.total} · {j.success} stored{j.warning ? ` · ${j.warning} with warning` : ''}
                  {j.failed ? <span className="tone-fail"> · {j.failed} failed</span> : null} · {mb(bytes)} of {mb(j.totalBytes)}
                  {j.state === 'running' && p ? ` · ${mb(p.rate)}/s · ${p.secondsLeft === null ? '' : `${duration(p.secondsLeft)} left`}` : ''}
                </span>
                <span style={{ marginLeft: 'auto', display: 'flex', gap: 4 }}>
                  {j.state === 'running' ? <button onClick={() => void act(() => invoke('send.pause', { sendJobId: j.id }))}>Pause</button> : null}
                  {(j.state === 'paused' || j.state === 'cancelled' || j.state === 'queued') && j.queued > 0 ? (
                    <button onClick={() => void act(() => invoke('send.resume', { sendJobId: j.id }))}>Resume</button>
                  ) : null}
                  {j.state === 'running' || j.state === 'paused' || j.state === 'queued' ? (
                    <button onClick={() => void act(() => invoke('send.cancel', { sendJobId: j.id }))}>Cancel</button>
                  ) : null}
                  {j.failed > 0 && j.state !== 'running' ? <button onClick={() => void act(() => invoke('send.retryFailed', { sendJobId: j.id }))}>Retry failed</button> : null}
                  {j.state !== 'running' ? <button onClick={() => void act(() => invoke('send.remove', { sendJobId: j.id }))}>Remove</button> : null}
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
              {j.error ? (
                <div className="banner error small" data-testid="job-error">
                  {j.error}
                </div>
              ) : null}
              {open === j.id ? (
                <div className="send-instances">
                  <label>
                    Show{' '}
                    <select value={filter} onChange={(e) => setFilter(e.target.value as typeof filter)}>
                      <option value="">all</option>
                      <option value="queued">queued</option>
                      <option value="success">success</option>
                      <option value="warning">warning</option>
                      <option value="failed">failed</option>
                    </select>
                  </label>
                  <table style={{ borderCollapse: 'collapse', width: '100%', fontSize: 12 }}>
                    <thead>
                      <tr style={{ textAlign: 'left' }}>
                        <th>State</th>
                        <th>Status</th>
                        <th>Meaning / reason</th>
                        <th>SOP Instance UID</th>
                        <th>File</th>
                      </tr>
                    </thead>
                    <tbody>
                      {instances.map((i) => {
                        const state = p?.sending.includes(i.id) ? 'sending' : i.state;
                        return (
                          <tr key={i.id} style={{ borderTop: '1px solid var(--line)' }}>
                            <td style={{ color: STATE_COLOR[state] }}>{state}</td>
                            <td>{hex(i.status)}</td>
                            <td>
                              {i.message}
                              {i.transcodedFrom ? ` (transcoded from ${i.transcodedFrom} to ${i.transferSyntax})` : ''}
                            </td>
                            <td>{i.SOPInstanceUID}</td>
                            <td title={i.path} style={{ maxWidth: 280, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                              {i.path}
                            </td>
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
