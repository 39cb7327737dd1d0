/**
 * UIDs the library's files use for two different things, shown in the library panel: a study whose
 * files name two Patient IDs, and an instance whose files hold different contents (which file holds
 * which version, so copies are told from conflicts). Courier merges nothing silently and deletes
 * only the file it sent; these tell the person what to check before sending.
 */
import { useEffect, useState } from 'react';
import type { LibraryConflict } from '../../../shared/contract/index.ts';
import { errorMessage, invoke } from '../../api/courier.ts';
import { formatDate, formatName } from '../format.ts';
import { plural } from '../../../shared/words.ts';


/** One conflict, in words. */
function ConflictItem({ c }: { c: LibraryConflict }) {
  if (c.kind === 'patients') {
    return (
      <li data-testid="conflict" data-kind="patients">
        <div>
          Study {formatDate(c.StudyDate)} {c.StudyDescription} <code>{c.StudyInstanceUID}</code> is named by {plural(c.claims.length, 'patient')}; it is
          listed under the first indexed. Check which is right before sending it.
        </div>
        <ul>
          {c.claims.map((p) => (
            <li key={p.PatientID + p.PatientName}>
              ID <b>{p.PatientID || '(none)'}</b> {formatName(p.PatientName)} — {plural(p.files, 'file')}, e.g. <code className="path">{p.example}</code>
            </li>
          ))}
        </ul>
      </li>
    );
  }
  const versions = Math.max(...c.files.map((f) => f.version));
  return (
    <li data-testid="conflict" data-kind="content">
      <div>
        Instance <code>{c.SOPInstanceUID}</code> is in {plural(c.files.length, 'file')} with {versions} different contents. Send and delete act on the file
        sent, never on another.
      </div>
      <ul>
        {c.files.map((f) => (
          <li key={f.path} data-testid="conflict-file" data-version={f.version}>
            version {f.version}: <code className="path">{f.path}</code> ({f.PatientID || 'no patient ID'} {formatName(f.PatientName)})
          </li>
        ))}
      </ul>
    </li>
  );
}

/** The conflicts notice: nothing when there are none, else a count that opens the list. `generation` changes when the library does. */
export function Conflicts({ generation }: { generation: number }) {
  const [conflicts, setConflicts] = useState<LibraryConflict[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    invoke('library.conflicts', undefined)
      .then((c) => live && (setConflicts(c), setError(null)))
      .catch((err) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [generation]);
  if (error) return <div className="banner error small">{error}</div>;
  if (!conflicts.length) return null;
  return (
    <details className="conflicts banner warn small" data-testid="conflicts">
      <summary>
        ⚠ {plural(conflicts.length, 'UID')} used for different things — show
      </summary>
      <ul>
        {conflicts.map((c) => (
          <ConflictItem key={c.kind === 'patients' ? `p${c.studyId}` : `i${c.instanceId}`} c={c} />
        ))}
      </ul>
    </details>
  );
}
