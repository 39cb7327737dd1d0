/**
 * Settings: our own AE title and listening port, and the remote nodes Courier sends to, each with
 * "Test connection" (C-ECHO). Fields are checked with the same validators the main process uses
 * (shared/dicomValues.ts).
 */
import { useEffect, useState } from 'react';
import { DEFAULT_NODE_COMMITMENT } from '../../../shared/contract/nodes.ts';
import type { EchoOutcome, LocalAe, NodeRow, ResponseOf, TlsFiles } from '../../../shared/contract/index.ts';
import { aeTitleProblem, portProblem } from '../../../shared/dicomValues.ts';
import { errorMessage, invoke } from '../../api/courier.ts';
import { Option } from '../Option.tsx';

interface Draft {
  id?: number;
  name: string;
  aeTitle: string;
  host: string;
  port: string;
  tls: boolean;
  maxAssociations: string;
  /** Storage commitment defaults the send dialog starts from. */
  requestCommitment: boolean;
  deleteAfterCommit: boolean;
  commitTimeoutS: string;
  commitRetries: string;
}

const EMPTY: Draft = {
  name: '',
  aeTitle: '',
  host: '',
  port: '104',
  tls: false,
  maxAssociations: '2',
  requestCommitment: DEFAULT_NODE_COMMITMENT.requestCommitment,
  deleteAfterCommit: DEFAULT_NODE_COMMITMENT.deleteAfterCommit,
  commitTimeoutS: String(DEFAULT_NODE_COMMITMENT.commitTimeoutS),
  commitRetries: String(DEFAULT_NODE_COMMITMENT.commitRetries),
};

/** The form's draft of a saved node. */
function draftOf(n: NodeRow): Draft {
  return { ...n, port: String(n.port), maxAssociations: String(n.maxAssociations), commitTimeoutS: String(n.commitTimeoutS), commitRetries: String(n.commitRetries) };
}

/** A node's commitment defaults in words, for the nodes table. */
export function commitmentText(n: Pick<NodeRow, 'requestCommitment' | 'deleteAfterCommit' | 'commitTimeoutS' | 'commitRetries'>): string {
  if (!n.requestCommitment) return 'not asked';
  return `asked${n.deleteAfterCommit ? ', then deletes' : ''} · ${n.commitTimeoutS} s × ${n.commitRetries + 1} tries`;
}

/** Problems of a node draft, by field. */
function problems(d: Draft): Partial<Record<keyof Draft, string>> {
  const p: Partial<Record<keyof Draft, string>> = {};
  const ae = aeTitleProblem(d.aeTitle);
  if (ae) p.aeTitle = ae;
  if (!/^[A-Za-z0-9.:\-_[\]%]+$/.test(d.host.trim())) p.host = 'Enter a host name or IP address';
  const port = portProblem(Number(d.port));
  if (port || !/^\d+$/.test(d.port)) p.port = port ?? 'Port must be a whole number';
  const n = Number(d.maxAssociations);
  if (!Number.isInteger(n) || n < 1 || n > 16) p.maxAssociations = 'From 1 to 16';
  if (!/^\d+$/.test(d.commitTimeoutS) || Number(d.commitTimeoutS) < 1 || Number(d.commitTimeoutS) > 86_400) p.commitTimeoutS = 'From 1 to 86400 seconds';
  if (!/^\d+$/.test(d.commitRetries) || Number(d.commitRetries) > 10) p.commitRetries = 'From 0 to 10';
  return p;
}

/** Where the storage commitment accepter really listens, against the port saved in Settings. */
function accepterText(a: ResponseOf<'commit.accepter'> | null, savedPort: number | null): string {
  if (!a) return '';
  if (!a.listening) {
    return `The accepter is not listening${a.message ? `: ${a.message}` : ' in this run (courier serve listens only with --listen <port>)'}. Reports can still come on Courier's own associations.`;
  }
  const other = savedPort !== null && a.port !== savedPort ? ` (not the saved ${savedPort}: this run was started with another port)` : '';
  return `The accepter listens now as ${a.aeTitle} on port ${a.port}${other}${a.message ? `; ${a.message}` : ''}. A new port or AE title takes effect at once when saved.`;
}

const echoText = (e: EchoOutcome) => `${e.ok ? '✔' : '✘'} ${e.message} (${e.ms} ms)`;

/** The settings panel. */
export default function SettingsPanel() {
  const [nodes, setNodes] = useState<NodeRow[]>([]);
  const [local, setLocal] = useState<{ aeTitle: string; port: string; tls: TlsFiles }>({ aeTitle: '', port: '', tls: { certificateFile: '', keyFile: '', caFile: '' } });
  const [localSaved, setLocalSaved] = useState<LocalAe | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [echoes, setEchoes] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [accepter, setAccepter] = useState<ResponseOf<'commit.accepter'> | null>(null);

  const reload = () => invoke('nodes.list', undefined).then(setNodes, (e) => setError(errorMessage(e)));
  useEffect(() => {
    void reload();
    invoke('nodes.local', undefined).then(
      (l) => {
        setLocalSaved(l);
        setLocal({ aeTitle: l.aeTitle, port: String(l.port), tls: l.tls });
      },
      (e) => setError(errorMessage(e)),
    );
    invoke('commit.accepter', undefined).then(setAccepter, (e) => setError(errorMessage(e)));
  }, []);

  const localAeProblem = aeTitleProblem(local.aeTitle);
  const localPortProblem = portProblem(Number(local.port));
  // The TLS paths as they are checked, compared and saved.
  const tls: TlsFiles = { certificateFile: local.tls.certificateFile.trim(), keyFile: local.tls.keyFile.trim(), caFile: local.tls.caFile.trim() };
  const tlsProblem = !tls.certificateFile !== !tls.keyFile ? 'Our certificate and its private key go together: set both, or neither' : null;
  const localUnchanged =
    localSaved?.aeTitle === local.aeTitle.trim() &&
    String(localSaved?.port) === local.port &&
    (Object.keys(tls) as (keyof TlsFiles)[]).every((k) => localSaved.tls[k] === tls[k]);
  const saveLocal = async () => {
    setSaved(null);
    try {
      const l = await invoke('nodes.setLocal', { aeTitle: local.aeTitle.trim(), port: Number(local.port), tls });
      setLocalSaved(l);
      setError(null);
      // Say where the accepter really listens now (it moves at once, or stays where it was and says why).
      const a = await invoke('commit.accepter', undefined);
      setAccepter(a);
      setSaved(`Saved: ${l.aeTitle}, port ${l.port}${l.tls.certificateFile ? ', TLS files set' : ''}.`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const test = async (key: string, req: { id?: number; aeTitle?: string; host?: string; port?: number; tls?: boolean }) => {
    setEchoes((m) => ({ ...m, [key]: 'Testing…' }));
    try {
      const r = await invoke('nodes.echo', req);
      setEchoes((m) => ({ ...m, [key]: echoText(r) }));
    } catch (e) {
      setEchoes((m) => ({ ...m, [key]: `✘ ${errorMessage(e)}` }));
    }
  };

  const save = async () => {
    if (!draft) return;
    setSaved(null);
    try {
      const n = await invoke('nodes.save', {
        id: draft.id,
        name: draft.name.trim() || undefined,
        aeTitle: draft.aeTitle.trim(),
        host: draft.host.trim(),
        port: Number(draft.port),
        tls: draft.tls,
        maxAssociations: Number(draft.maxAssociations),
        requestCommitment: draft.requestCommitment,
        deleteAfterCommit: draft.requestCommitment && draft.deleteAfterCommit,
        commitTimeoutS: Number(draft.commitTimeoutS),
        commitRetries: Number(draft.commitRetries),
      });
      setDraft(null);
      setError(null);
      setSaved(`Saved node ${n.name} (${n.aeTitle}@${n.host}:${n.port}).`);
      await reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const remove = async (n: NodeRow) => {
    if (!window.confirm(`Remove ${n.name} (${n.aeTitle}@${n.host}:${n.port})? Jobs sent to it are kept.`)) return;
    try {
      await invoke('nodes.remove', { id: n.id });
      await reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const tlsField = (label: string, key: keyof TlsFiles, placeholder: string) => (
    <label style={{ display: 'flex', flexDirection: 'column', gap: 2, flex: '1 1 220px' }}>
      <span>{label}</span>
      <input aria-label={label} value={local.tls[key]} placeholder={placeholder} onChange={(e) => setLocal({ ...local, tls: { ...local.tls, [key]: e.target.value } })} />
    </label>
  );

  const dp = draft ? problems(draft) : {};
  const field = (label: string, key: keyof Draft, input: React.ReactNode) => (
    <label style={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <span>{label}</span>
      {input}
      {dp[key] ? <small style={{ color: 'var(--danger)' }}>{dp[key]}</small> : null}
    </label>
  );

  return (
    <div className="panel settings" style={{ flex: 1 }}>
      <h2>Settings</h2>
      {error ? <div className="banner error" role="alert">{error}</div> : null}
      {saved ? (
        <div className="banner info" role="status" data-testid="settings-saved">
          {saved}
        </div>
      ) : null}

      <section aria-label="This station">
        <h3>This station</h3>
        <div style={{ display: 'flex', gap: 12, alignItems: 'flex-end', flexWrap: 'wrap' }}>
          <label style={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
            <span>Our AE title</span>
            <input aria-label="Our AE title" value={local.aeTitle} maxLength={16} onChange={(e) => setLocal({ ...local, aeTitle: e.target.value })} />
            {local.aeTitle && localAeProblem ? <small style={{ color: 'var(--danger)' }}>{localAeProblem}</small> : null}
          </label>
          <label style={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
            <span>Listening port</span>
            <input aria-label="Listening port" value={local.port} inputMode="numeric" style={{ width: 90 }} onChange={(e) => setLocal({ ...local, port: e.target.value })} />
            {local.port && localPortProblem ? <small style={{ color: 'var(--danger)' }}>{localPortProblem}</small> : null}
          </label>
          <button disabled={!!localAeProblem || !!localPortProblem || !!tlsProblem || localUnchanged} onClick={() => void saveLocal()}>
            Save
          </button>
        </div>
        <p className="hint" style={{ color: 'var(--muted)', fontSize: 12 }}>
          Nodes that report storage commitment on a new association call this AE title at this port; declare both on the PACS.
        </p>
        <p data-testid="accepter-state" className={accepter && (!accepter.listening || accepter.port !== localSaved?.port) ? 'tone-warn' : undefined}>
          {accepterText(accepter, localSaved?.port ?? null)}
        </p>

        <fieldset style={{ display: 'flex', gap: 12, flexWrap: 'wrap', border: '1px solid var(--line)', padding: 8 }}>
          <legend>DICOM over TLS, for nodes marked TLS (PEM files)</legend>
          {tlsField('Our certificate', 'certificateFile', '/path/to/courier.pem')}
          {tlsField('Our private key', 'keyFile', '/path/to/courier.key')}
          {tlsField('Trusted CA certificates', 'caFile', "(empty: the system's)")}
          {tlsProblem ? <small style={{ color: 'var(--danger)', alignSelf: 'center' }}>{tlsProblem}</small> : null}
        </fieldset>
      </section>

      <section aria-label="Nodes">
        <h3>Nodes</h3>
        {nodes.length === 0 ? <p className="empty">No nodes yet. Add the PACS or workstations you send to.</p> : null}
        {nodes.length > 0 ? (
          <table className="nodes" style={{ borderCollapse: 'collapse', width: '100%' }}>
            <thead>
              <tr style={{ textAlign: 'left' }}>
                <th>Name</th>
                <th>AE title</th>
                <th>Host</th>
                <th>Port</th>
                <th>TLS</th>
                <th>Associations</th>
                <th>Storage commitment</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => (
                <tr key={n.id} style={{ borderTop: '1px solid var(--line)' }}>
                  <td>{n.name}</td>
                  <td>{n.aeTitle}</td>
                  <td>{n.host}</td>
                  <td>{n.port}</td>
                  <td>{n.tls ? 'yes' : 'no'}</td>
                  <td>{n.maxAssociations}</td>
                  <td>{commitmentText(n)}</td>
                  <td style={{ whiteSpace: 'nowrap' }}>
                    <button onClick={() => void test(`node-${n.id}`, { id: n.id })}>Test connection</button>{' '}
                    <button onClick={() => setDraft(draftOf(n))}>Edit</button>{' '}
                    <button onClick={() => void remove(n)}>Remove</button>
                    {echoes[`node-${n.id}`] ? <div className="echo-result" style={{ fontSize: 12 }}>{echoes[`node-${n.id}`]}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {!draft ? (
          <p>
            <button onClick={() => setDraft({ ...EMPTY })}>Add node…</button>
          </p>
        ) : (
          <form
            aria-label={draft.id ? 'Edit node' : 'Add node'}
            style={{ display: 'flex', gap: 12, alignItems: 'flex-start', flexWrap: 'wrap', marginTop: 12 }}
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            {field('Name', 'name', <input aria-label="Name" value={draft.name} placeholder="(AE title)" onChange={(e) => setDraft({ ...draft, name: e.target.value })} />)}
            {field('AE title', 'aeTitle', <input aria-label="AE title" value={draft.aeTitle} onChange={(e) => setDraft({ ...draft, aeTitle: e.target.value })} />)}
            {field('Host', 'host', <input aria-label="Host" value={draft.host} onChange={(e) => setDraft({ ...draft, host: e.target.value })} />)}
            {field('Port', 'port', <input aria-label="Port" value={draft.port} style={{ width: 80 }} onChange={(e) => setDraft({ ...draft, port: e.target.value })} />)}
            {field(
              'Associations at once',
              'maxAssociations',
              <input aria-label="Associations at once" value={draft.maxAssociations} style={{ width: 60 }} onChange={(e) => setDraft({ ...draft, maxAssociations: e.target.value })} />,
            )}
            <label style={{ alignSelf: 'center' }}>
              <input type="checkbox" checked={draft.tls} onChange={(e) => setDraft({ ...draft, tls: e.target.checked })} /> TLS
            </label>
            <fieldset style={{ flexBasis: '100%', display: 'flex', gap: 12, flexWrap: 'wrap', alignItems: 'flex-start', border: '1px solid var(--line)', padding: 8 }}>
              <legend>Storage commitment: what the Send dialog starts with for this node</legend>
              <Option
                label="Request storage commitment"
                ariaLabel="Request storage commitment"
                checked={draft.requestCommitment}
                onChange={(on) => setDraft({ ...draft, requestCommitment: on, deleteAfterCommit: on && draft.deleteAfterCommit })}
              />
              <Option
                label="Delete local files once committed"
                ariaLabel="Delete local files once committed"
                hint="Still confirmed in the Send dialog, with the files and folders named."
                checked={draft.deleteAfterCommit}
                disabled={!draft.requestCommitment}
                onChange={(on) => setDraft({ ...draft, deleteAfterCommit: on })}
              />
              {field(
                'Wait for a report (seconds)',
                'commitTimeoutS',
                <input aria-label="Wait for a report (seconds)" value={draft.commitTimeoutS} style={{ width: 70 }} onChange={(e) => setDraft({ ...draft, commitTimeoutS: e.target.value })} />,
              )}
              {field(
                'Then ask again (times)',
                'commitRetries',
                <input aria-label="Then ask again (times)" value={draft.commitRetries} style={{ width: 50 }} onChange={(e) => setDraft({ ...draft, commitRetries: e.target.value })} />,
              )}
            </fieldset>
            <div style={{ display: 'flex', gap: 6, alignSelf: 'center', flexWrap: 'wrap' }}>
              <button type="submit" disabled={Object.keys(dp).length > 0}>
                Save
              </button>
              <button
                type="button"
                disabled={!!dp.aeTitle || !!dp.host || !!dp.port}
                onClick={() => void test('draft', { aeTitle: draft.aeTitle.trim(), host: draft.host.trim(), port: Number(draft.port), tls: draft.tls })}
              >
                Test connection
              </button>
              <button type="button" onClick={() => setDraft(null)}>
                Cancel
              </button>
              {echoes.draft ? <span className="echo-result">{echoes.draft}</span> : null}
            </div>
          </form>
        )}
      </section>
    </div>
  );
}
