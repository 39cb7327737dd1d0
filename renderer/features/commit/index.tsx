/**
 * Storage commitment: the history of transactions, and for the chosen one its per-study summary
 * and per-instance states (failed first, with the reason's meaning; timed out; pending; committed),
 * each with its local file's path and whether it was deleted or kept and why, updated live from
 * `commit.changed` events; Re-request and Re-send for what is not committed (the detail follows
 * the new transaction); and the deletion audit log, also live.
 */
import { formatName } from '../format.ts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CommitDeletionRow, CommitInstanceRow, CommitStudySummary, CommitTransactionRow, ResponseOf } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import { CommitCountsView } from './CommitCounts.tsx';
import { failuresFirst, fileFate } from './instances.ts';
import { latestOnly } from '../latest.ts';
import { plural } from '../../../shared/words.ts';

const STATE_LABEL: Record<CommitInstanceRow['state'], string> = {
  pending: 'Pending',
  committed: 'Committed',
  failed: 'Failed',
  'timed-out': 'Timed out',
};
const TRANSACTION_TONE: Record<CommitTransactionRow['state'], string> = { created: 'wait', requested: 'wait', reported: 'ok', 'timed-out': 'fail', failed: 'fail' };

/** The commitment panel. */
export default function CommitPanel({ initialTransaction = null }: { initialTransaction?: number | null }) {
  const [transactions, setTransactions] = useState<CommitTransactionRow[]>([]);
  const [selected, setSelected] = useState<number | null>(initialTransaction);
  // The rows of one transaction, with its id: the detail shows them only while that transaction is the one shown
  // (a new one's rows are on their way), and a late answer for another never lands in it.
  const [loaded, setLoaded] = useState<{ transactionId: number; instances: CommitInstanceRow[]; studies: CommitStudySummary[] } | null>(null);
  const [deletions, setDeletions] = useState<CommitDeletionRow[]>([]);
  const [accepter, setAccepter] = useState<ResponseOf<'commit.accepter'> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [filter, setFilter] = useState<'all' | CommitInstanceRow['state']>('all');
  // Transactions seen so far. A new one is shown when it re-requests the one shown, or while the user has
  // not picked one (the newest is followed: a send just started, a Re-send).
  const known = useRef<Set<number> | null>(null);
  const followNew = useRef(initialTransaction === null);
  const selectedRef = useRef<number | null>(null);
  selectedRef.current = selected;

  // Each list applies only its latest answer (an earlier one may arrive later, with older states).
  const [historyCall, rowsCall, deletionsCall] = useMemo(() => [latestOnly(), latestOnly(), latestOnly()], []);
  const fail = useCallback((err: unknown) => setProblem(errorMessage(err)), []);
  const loadDeletions = useCallback(() => deletionsCall(invoke('commit.deletions', { limit: 500 }), setDeletions, fail), [deletionsCall, fail]);
  const loadHistory = useCallback(() => {
    historyCall(invoke('commit.transactions', { limit: 200 }), (rows) => {
      const before = known.current;
      known.current = new Set(rows.map((r) => r.id));
      const fresh = before ? rows.filter((r) => !before.has(r.id)) : [];
      const successor = fresh.find((r) => followNew.current || (r.retryOf !== null && r.retryOf === selectedRef.current));
      setTransactions(rows);
      setSelected((s) => successor?.id ?? s ?? rows[0]?.id ?? null);
    }, fail);
    invoke('commit.accepter', undefined).then(setAccepter, fail);
    loadDeletions();
  }, [historyCall, loadDeletions, fail]);

  const loadSelected = useCallback(
    (id: number) =>
      rowsCall(
        Promise.all([invoke('commit.instances', { transactionId: id }), invoke('commit.studies', { transactionId: id })]),
        ([instances, studies]) => setLoaded({ transactionId: id, instances, studies }),
        fail,
      ),
    [rowsCall, fail],
  );

  useEffect(() => loadHistory(), [loadHistory]);
  useEffect(() => {
    if (selected !== null) loadSelected(selected);
  }, [selected, loadSelected]);

  // Live: the history's counts and new transactions at once; the shown transaction's rows (with meanings and
  // kept reasons) and the audit log reloaded at most every 250 ms — a burst of reports or deletions costs one
  // reload, and an answer asked before the last event is dropped, so the detail never goes back to an older state.
  const due = useRef<{ timer: number | null; rows: boolean; deletions: boolean }>({ timer: null, rows: false, deletions: false });
  useEffect(() => {
    const pending = due.current;
    const off = courier.on('commit.changed', (e) => {
      if (!known.current?.has(e.transactionId)) loadHistory();
      setTransactions((rows) => rows.map((r) => (r.id === e.transactionId ? { ...r, state: e.state, counts: e.counts } : r)));
      pending.rows ||= e.transactionId === selectedRef.current;
      pending.deletions ||= e.counts.deleted > 0;
      if (pending.timer !== null || !(pending.rows || pending.deletions)) return;
      pending.timer = window.setTimeout(() => {
        if (pending.rows && selectedRef.current !== null) loadSelected(selectedRef.current);
        if (pending.deletions) loadDeletions();
        Object.assign(pending, { timer: null, rows: false, deletions: false });
      }, 250);
    });
    return () => {
      off();
      if (pending.timer !== null) window.clearTimeout(pending.timer);
      Object.assign(pending, { timer: null, rows: false, deletions: false });
    };
  }, [loadHistory, loadSelected, loadDeletions]);

  const current = transactions.find((t) => t.id === selected) ?? null;
  // Rows of another transaction are never shown for this one (they were the last one's until its own arrive).
  const rows = loaded?.transactionId === selected ? loaded : null;
  const shown = useMemo(() => failuresFirst(!rows ? [] : filter === 'all' ? rows.instances : rows.instances.filter((i) => i.state === filter)), [rows, filter]);
  const canRerequest = current !== null && current.counts.committed < current.counts.total;

  const resend = async () => {
    if (!current) return;
    setBusy(true);
    setProblem(null);
    try {
      followNew.current = true;
      const r = await invoke('commit.resend', { transactionId: current.id });
      setInfo(`Re-sending as send job ${r.sendJobId} (Send queue tab); its commitment request is shown here when the stores end.`);
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const rerequest = async () => {
    if (!current) return;
    setBusy(true);
    setProblem(null);
    setInfo(null);
    try {
      const r = await invoke('commit.rerequest', { transactionId: current.id });
      setSelected(r.transactionId);
      loadHistory();
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel commit-panel">
      <h2>Storage commitment</h2>
      <p className="commit-accepter" data-testid="commit-accepter">
        {accepter
          ? accepter.listening
            ? `Accepter ${accepter.aeTitle} listening on port ${accepter.port}: nodes can report on new associations.`
            : `Accepter not listening${accepter.message ? ` (${accepter.message})` : ''}: reports come on our own associations only.`
          : ''}
      </p>
      {problem && (
        <div className="banner error" role="alert">
          {problem}
        </div>
      )}
      {info && (
        <div className="banner info" role="status">
          {info}
        </div>
      )}
      <div className="commit-layout" style={{ display: 'grid', gridTemplateColumns: 'minmax(260px, 340px) 1fr', gap: '16px', alignItems: 'start' }}>
        <section className="commit-history" aria-label="Transactions">
          <h3>Transactions</h3>
          {transactions.length === 0 && (
            <p className="muted">No storage commitment requested yet. Send with “Request storage commitment” ticked in the Send dialog (its default is set per node in Settings).</p>
          )}
          <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {transactions.map((t) => (
              <li key={t.id} style={{ marginBottom: '6px' }}>
                <button
                  className={t.id === selected ? 'row selected' : 'row'}
                  onClick={() => {
                    followNew.current = false;
                    setSelected(t.id);
                  }}
                  aria-pressed={t.id === selected}
                  data-testid="commit-transaction"
                  style={{ width: '100%', textAlign: 'left' }}
                >
                  <span className={`commit-state tone-${t.counts.failed + t.counts.timedOut ? 'fail' : TRANSACTION_TONE[t.state]}`}>{t.state}</span> {t.node} · {new Date(t.createdAt).toLocaleString()}
                  <br />
                  <CommitCountsView counts={t.counts} />
                </button>
              </li>
            ))}
          </ul>
        </section>
        {current && (
          <section className="commit-detail" aria-label="Transaction" data-transaction-id={current.id}>
            <h3>
              Transaction <code title="Transaction UID">{current.transactionUid}</code>
            </h3>
            <p>
              To {current.node} as {current.callingAe} · {plural(current.attempts, 'attempt')}
              {current.retryOf ? ` · re-request of #${current.retryOf}` : ''}
              {current.deleteAfterCommit ? ' · deletes local files once committed' : ' · keeps local files'}
            </p>
            {current.message ? <p className={current.state === 'failed' || current.state === 'timed-out' ? 'tone-fail' : undefined}>{current.message}</p> : null}
            <p>
              <CommitCountsView counts={current.counts} />{' '}
              <button onClick={rerequest} disabled={!canRerequest || busy} title="Ask the node again for every instance that is not committed">
                {busy ? 'Requesting…' : 'Re-request'}
              </button>{' '}
              <button
                onClick={resend}
                disabled={busy || !(current.counts.failed + current.counts.timedOut)}
                title="Send the failed and timed-out instances again (C-STORE), then request their commitment"
              >
                Re-send failed
              </button>
            </p>
            <h4>By study</h4>
            <table className="commit-studies compact">
              <thead>
                <tr>
                  <th>Patient</th>
                  <th>Study</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {rows?.studies.map((s) => (
                  <tr key={s.StudyInstanceUID ?? 'unknown'} className={s.counts.failed + s.counts.timedOut ? 'row-fail' : undefined}>
                    <td>{s.PatientName ? formatName(s.PatientName) : '—'}</td>
                    <td title={s.StudyInstanceUID ?? ''}>{s.StudyDescription || s.StudyInstanceUID || 'not in the library'}</td>
                    <td>
                      <CommitCountsView counts={s.counts} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h4>
              Instances{' '}
              <select value={filter} onChange={(e) => setFilter(e.target.value as typeof filter)} aria-label="Show instances">
                <option value="all">all</option>
                <option value="failed">failed</option>
                <option value="timed-out">timed out</option>
                <option value="pending">pending</option>
                <option value="committed">committed</option>
              </select>
            </h4>
            {/* data-transaction-id: whose rows these are (absent while the shown transaction's are on their way). */}
            <table className="commit-instances compact" data-testid="commit-instances" data-transaction-id={rows?.transactionId}>
              <thead>
                <tr>
                  <th>State</th>
                  <th>SOP Instance UID</th>
                  <th>Local file</th>
                </tr>
              </thead>
              <tbody>
                {shown.slice(0, 2000).map((i) => (
                  <tr key={i.id} className={i.state === 'failed' || i.state === 'timed-out' ? 'row-fail' : undefined} data-state={i.state} data-sop-instance-uid={i.SOPInstanceUID}>
                    <td className={i.state === 'committed' ? 'tone-ok' : i.state === 'pending' ? 'tone-wait' : 'tone-fail'}>
                      {STATE_LABEL[i.state]}
                      {i.failureReason ? ` ${i.failureReason}: ${i.failureMeaning}` : ''}
                    </td>
                    <td>
                      <code>{i.SOPInstanceUID}</code>
                    </td>
                    <td>
                      <span className="path">{i.path}</span>
                      <br />
                      <span className={i.deleted ? 'tone-ok' : undefined} data-testid="file-fate">
                        {fileFate(i, current.deleteAfterCommit)}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.length > 2000 && <p className="muted">{shown.length - 2000} more not shown.</p>}
          </section>
        )}
      </div>
      <details className="commit-audit" data-testid="commit-audit">
        <summary>Deleted files ({deletions.length})</summary>
        <table className="compact">
          <thead>
            <tr>
              <th>When</th>
              <th>File</th>
              <th>SOP Instance UID</th>
              <th>Node</th>
              <th>SHA-256</th>
            </tr>
          </thead>
          <tbody>
            {deletions.map((d) => (
              <tr key={`${d.transactionUid}-${d.SOPInstanceUID}`}>
                <td>{new Date(d.deletedAt).toLocaleString()}</td>
                <td className="path">{d.path}</td>
                <td>
                  <code>{d.SOPInstanceUID}</code>
                </td>
                <td>{d.node}</td>
                <td>
                  <code title={d.sha256}>{d.sha256.slice(0, 12)}…</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
