/**
 * Asking for storage commitment (PS3.4 Annex J) of a finished job that was sent without it: keep
 * the local files, or delete each once the node has committed it. Deletion is off until ticked, and
 * ticking it names what may be deleted (files, MB, folders: `send.stored`), as the Send dialog does,
 * before anything is requested.
 */
import { useEffect, useState } from 'react';
import type { SendJobRow, SendJobStored } from '../../../shared/contract/index.ts';
import { plural } from '../../../shared/words.ts';
import { errorMessage, invoke } from '../../api/courier.ts';
import { Option } from '../Option.tsx';
import { foldersText, megabytes } from '../selectionSummary.ts';

export function RequestCommitment({ job, onRequest, onCancel }: { job: SendJobRow; onRequest(deleteAfterCommit: boolean): void; onCancel(): void }) {
  const [deleteAfterCommit, setDeleteAfterCommit] = useState(false);
  const [stored, setStored] = useState<SendJobStored | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!deleteAfterCommit || stored) return;
    let live = true;
    invoke('send.stored', { sendJobId: job.id }).then(
      (s) => live && setStored(s),
      (e) => live && setError(`What this job stored could not be listed: ${errorMessage(e)}`),
    );
    return () => {
      live = false;
    };
  }, [deleteAfterCommit, stored, job.id]);

  return (
    <div className={deleteAfterCommit ? 'confirm' : 'ask'} role="dialog" aria-label={`Request storage commitment for job ${job.id}`} data-testid="request-commitment" style={{ marginTop: 4 }}>
      <p style={{ marginTop: 0 }}>
        Ask {job.aeTitle} to commit the {plural(job.success + job.warning, 'image')} this job stored. Each image then shows committed or failed, with the reason.
      </p>
      <Option
        label="Delete local files once the PACS has committed them"
        hint="Only a file the PACS reports committed, still holding the very bytes sent, is deleted; every deletion is logged."
        checked={deleteAfterCommit}
        onChange={setDeleteAfterCommit}
      />
      {deleteAfterCommit && stored ? (
        <p data-testid="request-commitment-deletes">
          Delete {plural(stored.files, 'file')} ({megabytes(stored.bytes)}) once {job.aeTitle} has committed them? They are in: {foldersText(stored.folders)}.
        </p>
      ) : null}
      {error ? <div className="banner error small">{error}</div> : null}
      <div style={{ display: 'flex', gap: 8 }}>
        <button className={deleteAfterCommit ? 'danger' : 'primary'} disabled={deleteAfterCommit && !stored} onClick={() => onRequest(deleteAfterCommit)}>
          {deleteAfterCommit ? 'Request, then delete committed files' : 'Request, keep the files'}
        </button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}
