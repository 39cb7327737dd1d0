/**
 * Storage commitment: the history of transactions, and for the chosen one its per-study summary
 * and per-instance states (committed, failed with the reason's meaning, pending, timed out,
 * deleted or kept and why), updated live from `commit.changed` events; a re-request button for
 * what is not committed; and the deletion audit log.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type {
  CommitCounts,
  CommitDeletionRow,
  CommitInstanceRow,
  CommitStudySummary,
  CommitTransactionRow,
  ResponseOf,
} from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';

const STATE_LABEL: Record<CommitInstanceRow['state'], string> = {
  pending: 'Pending',
  committed: 'Committed',
  failed: 'Failed',
  'timed-out': 'Timed out',
};

/** "12 committed · 1 failed · 3 pending" for a set of counts. */
export function countsText(c: CommitCounts): string {
  const parts = [`${c.committed}/${c.total} committed`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.pending) parts.push(`${c.pending} pending`);
  if (c.timedOut) parts.push(`${c.timedOut} timed out`);
  if (c.deleted) parts.push(`${c.deleted} deleted`);
  if (c.kept) parts.push(`${c.kept} kept`);
  return parts.join(' · ');
}

function Counts({ counts }: { counts: CommitCounts }) {
  const pct = counts.total ? Math.round((counts.committed / counts.total) * 100) : 0;
  return (
    <span className="commit-counts" title={countsText(counts)}>
      <progress max={100} value={pct} /> {countsText(counts)}
    </span>
  );
}

/** The commitment panel. */
export default function CommitPanel() {
  const [transactions, setTransactions] = useState<CommitTransactionRow[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [instances, setInstances] = useState<CommitInstanceRow[]>([]);
  const [studies, setStudies] = useState<CommitStudySummary[]>([]);
  const [deletions, setDeletions] = useState<CommitDeletionRow[]>([]);
  const [accepter, setAccepter] = useState<ResponseOf<'commit.accepter'> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [filter, setFilter] = useState<'all' | CommitInstanceRow['state']>('all');

  const loadHistory = useCallback(() => {
    invoke('commit.transactions', { limit: 200 }).then((rows) => {
      setTransactions(rows);
      setSelected((s) => s ?? rows[0]?.id ?? null);
    }, (err) => setProblem(errorMessage(err)));
    invoke('commit.accepter', undefined).then(setAccepter, () => {});
    invoke('commit.deletions', { limit: 200 }).then(setDeletions, () => {});
  }, []);

  const loadSelected = useCallback((id: number) => {
    invoke('commit.instances', { transactionId: id }).then(setInstances, (err) => setProblem(errorMessage(err)));
    invoke('commit.studies', { transactionId: id }).then(setStudies, () => {});
  }, []);

  useEffect(() => loadHistory(), [loadHistory]);
  useEffect(() => {
    if (selected !== null) loadSelected(selected);
  }, [selected, loadSelected]);

  // Live: apply per-instance changes in place; refresh the history's counts.
  useEffect(
    () =>
      courier.on('commit.changed', (e) => {
        setTransactions((rows) => {
          const known = rows.some((r) => r.id === e.transactionId);
          if (!known) {
            loadHistory();
            return rows;
          }
          return rows.map((r) => (r.id === e.transactionId ? { ...r, state: e.state, counts: e.counts } : r));
        });
        if (e.transactionId !== selected) return;
        if (e.instances) {
          const byId = new Map(e.instances.map((i) => [i.id, i]));
          setInstances((rows) =>
            rows.map((r) => {
              const c = byId.get(r.id);
              return c ? { ...r, state: c.state, failureReason: c.failureReason ?? r.failureReason, deleted: c.deleted || r.deleted } : r;
            }),
          );
          invoke('commit.studies', { transactionId: e.transactionId }).then(setStudies, () => {});
        } else {
          loadSelected(e.transactionId);
        }
      }),
    [selected, loadHistory, loadSelected],
  );

  const current = transactions.find((t) => t.id === selected) ?? null;
  const shown = useMemo(() => (filter === 'all' ? instances : instances.filter((i) => i.state === filter)), [instances, filter]);
  const canRerequest = current !== null && current.counts.committed < current.counts.total;

  const resend = async () => {
    if (!current) return;
    setBusy(true);
    setProblem(null);
    try {
      const r = await invoke('commit.resend', { transactionId: current.id });
      setProblem(`Re-sending as send job ${r.sendJobId}; its commitment request follows when it ends.`);
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
    try {
      const r = await invoke('commit.rerequest', { transactionId: current.id });
      loadHistory();
      setSelected(r.transactionId);
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel commit-panel">
      <h2>Storage commitment</h2>
      <p className="commit-accepter">
        {accepter
          ? accepter.listening
            ? `Accepter ${accepter.aeTitle} listening on port ${accepter.port}: nodes can report on new associations.`
            : `Accepter not listening${accepter.message ? ` (${accepter.message})` : ''}: reports come on our own associations only.`
          : ''}
      </p>
      {problem && <div className="banner error">{problem}</div>}
      <div className="commit-layout" style={{ display: 'grid', gridTemplateColumns: 'minmax(260px, 340px) 1fr', gap: '16px', alignItems: 'start' }}>
        <section className="commit-history" aria-label="Transactions">
          <h3>Transactions</h3>
          {transactions.length === 0 && <p className="muted">No storage commitment requested yet. Send with “request storage commitment” on.</p>}
          <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {transactions.map((t) => (
              <li key={t.id} style={{ marginBottom: '6px' }}>
                <button
                  className={t.id === selected ? 'row selected' : 'row'}
                  onClick={() => setSelected(t.id)}
                  aria-pressed={t.id === selected}
                  style={{ width: '100%', textAlign: 'left' }}
                >
                  <span className={`commit-state state-${t.state}`}>{t.state}</span> {t.node} · {new Date(t.createdAt).toLocaleString()}
                  <br />
                  <Counts counts={t.counts} />
                </button>
              </li>
            ))}
          </ul>
        </section>
        {current && (
          <section className="commit-detail" aria-label="Transaction">
            <h3>
              Transaction <code title="Transaction UID">{current.transactionUid}</code>
            </h3>
            <p>
              To {current.node} as {current.callingAe} · {current.attempts} attempt(s)
              {current.retryOf ? ` · re-request of #${current.retryOf}` : ''}
              {current.deleteAfterCommit ? ' · deletes local files once committed' : ''}
              {current.message ? ` · ${current.message}` : ''}
            </p>
            <p>
              <Counts counts={current.counts} />{' '}
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
            <table className="commit-studies" style={{ borderCollapse: 'collapse' }}>
              <thead>
                <tr>
                  <th>Patient</th>
                  <th>Study</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {studies.map((s) => (
                  <tr key={s.StudyInstanceUID ?? 'unknown'}>
                    <td>{s.PatientName ?? '—'}</td>
                    <td title={s.StudyInstanceUID ?? ''}>{s.StudyDescription || s.StudyInstanceUID || 'not in the library'}</td>
                    <td>
                      <Counts counts={s.counts} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h4>
              Instances{' '}
              <select value={filter} onChange={(e) => setFilter(e.target.value as typeof filter)} aria-label="Show instances">
                <option value="all">all</option>
                <option value="committed">committed</option>
                <option value="failed">failed</option>
                <option value="pending">pending</option>
                <option value="timed-out">timed out</option>
              </select>
            </h4>
            <table className="commit-instances" style={{ fontSize: '0.9em', borderCollapse: 'collapse', width: '100%' }}>
              <thead>
                <tr>
                  <th>SOP Instance UID</th>
                  <th>State</th>
                  <th>Local file</th>
                </tr>
              </thead>
              <tbody>
                {shown.slice(0, 2000).map((i) => (
                  <tr key={i.id} className={`state-${i.state}`}>
                    <td>
                      <code>{i.SOPInstanceUID}</code>
                    </td>
                    <td title={i.failureMeaning ?? ''}>
                      {STATE_LABEL[i.state]}
                      {i.failureReason ? ` ${i.failureReason}: ${i.failureMeaning}` : ''}
                    </td>
                    <td title={i.path}>{i.deleted ? 'deleted' : i.keptReason ? `kept: ${i.keptReason}` : 'kept'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.length > 2000 && <p className="muted">{shown.length - 2000} more not shown.</p>}
          </section>
        )}
      </div>
      <details className="commit-audit">
        <summary>Deleted files ({deletions.length})</summary>
        <table>
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
                <td>{d.path}</td>
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
