/**
 * Indexing progress in the top bar, with a cancel button; the last result stays until dismissed,
 * and the files it could not read are a list with each one's reason (not only a count).
 */
import { useEffect, useState } from 'react';
import type { IndexError, IndexSummary, JobProgress } from '../../../shared/contract/index.ts';
import { courier, errorMessage, invoke } from '../../api/courier.ts';
import { plural } from '../../../shared/words.ts';

/** How many error rows the list draws (a CD of broken files can have thousands; the CLI lists all). */
const SHOWN_ERRORS = 500;

/** The outcome of the last index job. */
interface Outcome {
  text: string;
  error: boolean;
  errors: IndexError[];
}

/** What an index summary says, in a line. */
export function summaryText(s: IndexSummary): string {
  const unfiled = s.unfiled ? `, ${s.unfiled} unfiled (no Study or Series Instance UID)` : '';
  const errors = s.errors.length ? `, ${plural(s.errors.length, 'file')} with errors` : '';
  return `Indexed: ${[plural(s.patients, 'patient'), plural(s.studies, 'study', 'studies'), plural(s.series, 'series', 'series'), plural(s.instances, 'instance')].join(', ')}${unfiled}${errors}`;
}

/** Progress of running index jobs and the outcome of the last one. */
export function IndexStatus() {
  const [running, setRunning] = useState<JobProgress | null>(null);
  const [last, setLast] = useState<Outcome | null>(null);
  const [showErrors, setShowErrors] = useState(false);

  useEffect(() => {
    const offProgress = courier.on('job.progress', (p) => {
      if (p.kind === 'index') setRunning(p);
    });
    const offFinished = courier.on('job.finished', (f) => {
      if (f.kind !== 'index') return;
      setRunning((r) => (r?.jobId === f.jobId ? null : r));
      setShowErrors(false);
      if (f.status === 'done') {
        const s = f.result as IndexSummary;
        setLast({ text: summaryText(s), error: s.errors.length > 0, errors: s.errors });
      } else if (f.status === 'cancelled') setLast({ text: 'Indexing cancelled', error: false, errors: [] });
      else setLast({ text: `Indexing failed: ${f.error?.message ?? 'unknown error'}`, error: true, errors: [] });
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
          onClick={() => invoke('job.cancel', { jobId: running.jobId }).catch((err) => setLast({ text: errorMessage(err), error: true, errors: [] }))}
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
        {last.errors.length > 0 && (
          <button className="link" onClick={() => setShowErrors((v) => !v)} aria-expanded={showErrors} data-testid="index-errors-toggle">
            {showErrors ? 'Hide' : 'Show'} files
          </button>
        )}
        <button className="link" onClick={() => setLast(null)} aria-label="Dismiss">
          ×
        </button>
        {showErrors && (
          <div className="index-errors" role="region" aria-label="Files that could not be indexed" data-testid="index-errors">
            <p>These files were not added to the library; the rest of the folder was.</p>
            <ul>
              {last.errors.slice(0, SHOWN_ERRORS).map((e) => (
                <li key={e.path} data-testid="index-error">
                  <code className="path">{e.path}</code>
                  <span className="reason">{e.message}</span>
                </li>
              ))}
            </ul>
            {last.errors.length > SHOWN_ERRORS && (
              <p>
                … and {last.errors.length - SHOWN_ERRORS} more (<code>courier index --json</code> lists them all).
              </p>
            )}
          </div>
        )}
      </div>
    );
  }
  return <div className="index-status" />;
}
