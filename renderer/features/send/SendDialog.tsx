/**
 * The send dialog: what will be sent (patients, studies, series, images, MB, from which folders),
 * which file goes when one SOP Instance is in several files (and the choice of another), the node,
 * "Request storage commitment" (the node's default) and "Delete local files once the PACS has
 * committed them" (confirmed when ticked, naming the files, MB and folders, and again at Send).
 */
import { useEffect, useMemo, useState } from 'react';
import type { FileChoice, NodeRow, SendPlan } from '../../../shared/contract/index.ts';
import { errorMessage, invoke } from '../../api/courier.ts';
import { scopeOf, type LibrarySelection } from '../selection.ts';
import { foldersText, megabytes, planText } from '../selectionSummary.ts';
import { plural } from '../../../shared/words.ts';
import { Option } from '../Option.tsx';

/** The folder part of a path (POSIX or Windows). */
function folderOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : path;
}

/** Every folder holding a file of an instance in several files: the choices of "Send the files under". */
export function candidateFolders(plan: SendPlan): string[] {
  const folders = new Set<string>();
  for (const d of plan.duplicates) for (const f of [d.chosen, ...d.alternatives]) folders.add(folderOf(f.path));
  return [...folders].sort();
}

interface Props {
  selection: LibrarySelection;
  onClose(): void;
  /** The job was queued: show it. */
  onStarted(sendJobId: number): void;
}

/** The send dialog (modal). */
export function SendDialog({ selection, onClose, onStarted }: Props) {
  const [nodes, setNodes] = useState<NodeRow[] | null>(null);
  const [nodeId, setNodeId] = useState<number | null>(null);
  const [plan, setPlan] = useState<SendPlan | null>(null);
  const [prefer, setPrefer] = useState('');
  const [overrides, setOverrides] = useState<Map<number, string>>(new Map());
  const [requestCommitment, setRequestCommitment] = useState(false);
  const [deleteAfterCommit, setDeleteAfterCommit] = useState(false);
  const [step, setStep] = useState<'edit' | 'confirm-delete' | 'confirm-send' | 'sending'>('edit');
  const [problem, setProblem] = useState<string | null>(null);
  const [showFiles, setShowFiles] = useState(false);

  const scope = useMemo(() => scopeOf(selection), [selection]);
  const choice: FileChoice = useMemo(
    () => ({
      preferFolders: prefer ? [prefer] : undefined,
      files: overrides.size ? [...overrides].map(([instanceId, path]) => ({ instanceId, path })) : undefined,
    }),
    [prefer, overrides],
  );

  useEffect(() => {
    invoke('nodes.list', undefined).then((list) => {
      setNodes(list);
      if (list[0]) pickNode(list[0]);
    }, (err) => setProblem(errorMessage(err)));
  }, []);

  useEffect(() => {
    let live = true;
    invoke('send.plan', { ...scope, choice }).then(
      (p) => live && setPlan(p),
      (err) => live && setProblem(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [scope, choice]);

  // The node's defaults; deletion on by default still asks at Send.
  function pickNode(n: NodeRow) {
    setNodeId(n.id);
    setRequestCommitment(n.requestCommitment);
    setDeleteAfterCommit(n.requestCommitment && n.deleteAfterCommit);
    if (step === 'confirm-delete') setStep('edit');
  }

  const node = nodes?.find((n) => n.id === nodeId) ?? null;
  const folders = plan ? candidateFolders(plan) : [];
  const canSend = node !== null && plan !== null && plan.instances > 0 && step === 'edit';

  const send = async () => {
    if (!node) return;
    setStep('sending');
    setProblem(null);
    try {
      const { sendJobId } = await invoke('send.start', { nodeId: node.id, ...scope, choice, commit: { request: requestCommitment, deleteAfterCommit: requestCommitment && deleteAfterCommit } });
      onStarted(sendJobId);
    } catch (err) {
      setProblem(errorMessage(err));
      setStep('edit');
    }
  };

  const nodeText = node ? `${node.name} (${node.aeTitle}@${node.host}:${node.port})` : '';
  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && step !== 'sending' && onClose()}>
      <div className="dialog send-dialog" role="dialog" aria-modal="true" aria-label="Send to a PACS" data-testid="send-dialog">
        <h2>Send to a PACS</h2>
        {problem ? (
          <div className="banner error" role="alert">
            {problem}
          </div>
        ) : null}

        <section aria-label="What will be sent">
          <p data-testid="send-plan">
            <strong>{plan ? planText(plan) : 'Counting…'}</strong>
            {plan ? ` (${plural(plan.series, 'series', 'series')})` : ''}
          </p>
          {plan ? (
            <ul className="send-folders" data-testid="send-folders">
              {plan.folders.map((f) => (
                <li key={f.folder}>
                  <span className="path">{f.folder}</span> — {plural(f.files, 'file')}, {megabytes(f.bytes)}
                </li>
              ))}
            </ul>
          ) : null}
        </section>

        {plan && plan.duplicateCount > 0 ? (
          <section aria-label="Images in several files" className="banner warn" data-testid="send-duplicates">
            <p style={{ margin: '0 0 6px' }}>
              {plural(plan.duplicateCount, 'image is', 'images are')} in more than one file (a copy beside the original). Only the file chosen is sent, and
              only it may be deleted; the others are left alone.
            </p>
            <label>
              Send the files under{' '}
              <select aria-label="Send the files under" value={prefer} onChange={(e) => setPrefer(e.target.value)}>
                <option value="">(the file indexed first)</option>
                {folders.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>{' '}
            <button className="link" onClick={() => setShowFiles(!showFiles)} aria-expanded={showFiles}>
              {showFiles ? 'Hide' : 'Choose'} each file…
            </button>
            {showFiles ? (
              <table className="compact" data-testid="send-duplicate-files">
                <thead>
                  <tr>
                    <th>SOP Instance UID</th>
                    <th>File sent</th>
                  </tr>
                </thead>
                <tbody>
                  {plan.duplicates.map((d) => (
                    <tr key={d.instanceId}>
                      <td>
                        <code>{d.SOPInstanceUID}</code>
                      </td>
                      <td>
                        <select
                          aria-label={`File for ${d.SOPInstanceUID}`}
                          value={d.chosen.path}
                          onChange={(e) => setOverrides(new Map(overrides).set(d.instanceId, e.target.value))}
                          className="path"
                        >
                          {[d.chosen, ...d.alternatives]
                            .sort((a, b) => a.path.localeCompare(b.path))
                            .map((f) => (
                              <option key={f.path} value={f.path}>
                                {f.path}
                              </option>
                            ))}
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            {showFiles && plan.duplicateCount > plan.duplicates.length ? <p className="muted">{plan.duplicateCount - plan.duplicates.length} more not listed.</p> : null}
          </section>
        ) : null}

        <section aria-label="Node and options">
          <label>
            To{' '}
            <select
              aria-label="Destination"
              value={nodeId ?? ''}
              onChange={(e) => {
                const n = nodes?.find((x) => x.id === Number(e.target.value));
                if (n) pickNode(n);
              }}
            >
              {nodes && nodes.length === 0 ? <option value="">No nodes: add one in Settings</option> : null}
              {nodes?.map((n) => (
                <option key={n.id} value={n.id}>
                  {n.name} ({n.aeTitle}@{n.host}:{n.port})
                </option>
              ))}
            </select>
          </label>
          <Option
            label="Request storage commitment"
            hint="The PACS confirms that it holds each image safely (PS3.4 Annex J); each image then shows committed or failed, with the reason."
            checked={requestCommitment}
            onChange={(on) => {
              setRequestCommitment(on);
              if (!on) setDeleteAfterCommit(false);
            }}
          />
          <Option
            label="Delete local files once the PACS has committed them"
            hint="Only a file the PACS reports committed, still holding the very bytes sent, is deleted; every deletion is logged."
            checked={deleteAfterCommit}
            disabled={!requestCommitment || step !== 'edit'}
            onChange={(on) => (on ? setStep('confirm-delete') : setDeleteAfterCommit(false))}
          />
          {step === 'confirm-delete' && plan ? (
            <div className="confirm" role="alertdialog" aria-label="Confirm deletion" data-testid="confirm-delete">
              <p style={{ marginTop: 0 }}>
                Delete {plural(plan.instances, 'file')} ({megabytes(plan.bytes)}) once {node?.name ?? 'the PACS'} has committed them? They are in: {foldersText(plan.folders)}.
                {plan.duplicateCount ? ` The other copies of ${plural(plan.duplicateCount, 'image')} are not touched.` : ''}
              </p>
              <button
                className="danger"
                onClick={() => {
                  setDeleteAfterCommit(true);
                  setStep('edit');
                }}
              >
                Delete after commit
              </button>{' '}
              <button onClick={() => setStep('edit')}>Keep the files</button>
            </div>
          ) : null}
          {deleteAfterCommit && step !== 'confirm-delete' && plan ? (
            <p className="tone-warn" data-testid="delete-summary">
              Will delete {plural(plan.instances, 'file')} ({megabytes(plan.bytes)}) in {plan.folders.map((f) => f.folder).join(', ')} once committed.
            </p>
          ) : null}
        </section>

        {step === 'confirm-send' && plan ? (
          <div className="confirm" role="alertdialog" aria-label="Confirm send and delete" data-testid="confirm-send">
            <p style={{ marginTop: 0 }}>
              Send {plural(plan.instances, 'image')} ({megabytes(plan.bytes)}) to {nodeText}, request storage commitment, and delete{' '}
              {plural(plan.instances, 'local file')} in {plan.folders.map((f) => f.folder).join(', ')} as the PACS commits them?
            </p>
            <button className="danger" onClick={() => void send()}>
              Send and delete
            </button>{' '}
            <button onClick={() => setStep('edit')}>Back</button>
          </div>
        ) : null}

        <div className="buttons">
          <button onClick={onClose} disabled={step === 'sending'}>
            Cancel
          </button>
          <button className="primary" disabled={!canSend} onClick={() => (deleteAfterCommit && requestCommitment ? setStep('confirm-send') : void send())}>
            {step === 'sending' ? 'Sending…' : deleteAfterCommit ? 'Send…' : 'Send'}
          </button>
        </div>
      </div>
    </div>
  );
}
