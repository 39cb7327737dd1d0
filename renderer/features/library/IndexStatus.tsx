/**
 * Indexing progress in the top bar, with a cancel button; the last result stays until dismissed.
 */
import { useEffect, useState } from 'react';
import type { IndexSummary, JobProgress } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';

/** Progress of running index jobs and the outcome of the last one. */
export function IndexStatus() {
  const [running, setRunning] = useState<JobProgress | null>(null);
  const [last, setLast] = useState<{ text: string; error: boolean } | null>(null);

  useEffect(() => {
    const offProgress = courier.on('job.progress', (p) => {
      if (p.kind === 'index') setRunning(p);
    });
    const offFinished = courier.on('job.finished', (f) => {
      if (f.kind !== 'index') return;
      setRunning((r) => (r?.jobId === f.jobId ? null : r));
      if (f.status === 'done') {
        const s = f.result as IndexSummary;
        setLast({
          text: `Indexed: ${s.patients} patients, ${s.studies} studies, ${s.series} series, ${s.instances} instances${s.errors.length ? `, ${s.errors.length} files with errors` : ''}`,
          error: s.errors.length > 0,
        });
      } else if (f.status === 'cancelled') setLast({ text: 'Indexing cancelled', error: false });
      else setLast({ text: `Indexing failed: ${f.error?.message ?? 'unknown error'}`, error: true });
    });
    return () => {
      offProgress();
      offFinished();
    };
  }, []);

  if (running) {
    const pct = running.total ? Math.round((100 * running.done) / running.total) : null;
    return (
      <div className="index-status" data-testid="index-progress">
        <span>Indexing {running.done}/{running.total ?? '?'}</span>
        <progress max={100} value={pct ?? undefined} />
        <button
          onClick={() => invoke('job.cancel', { jobId: running.jobId }).catch((err) => setLast({ text: errorMessage(err), error: true }))}
        >
          Cancel
        </button>
      </div>
    );
  }
  if (last) {
    return (
      <div className={last.error ? 'index-status warn' : 'index-status'} data-testid="index-result">
        <span>{last.text}</span>
        <button className="link" onClick={() => setLast(null)} aria-label="Dismiss">
          ×
        </button>
      </div>
    );
  }
  return <div className="index-status" />;
}
