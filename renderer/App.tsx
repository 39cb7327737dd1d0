/**
 * The app shell: the library panel on the left, and on the right the viewer or the export, send,
 * storage commitment and settings panels (export and send act on the library panel's selection).
 */
import { useCallback, useEffect, useState } from 'react';
import type { AppInfo } from '../shared/contract/index.ts';
import { courier, errorMessage, invoke } from './api/courier.ts';
import ExportPanel from './features/export/index.tsx';
import { IndexStatus } from './features/library/IndexStatus.tsx';
import { LibraryPanel } from './features/library/LibraryPanel.tsx';
import { EMPTY_SELECTION, type LibrarySelection } from './features/selection.ts';
import { useSelectionSummary } from './features/selectionSummary.ts';
import SendPanel from './features/send/index.tsx';
import { SendDialog } from './features/send/SendDialog.tsx';
import SettingsPanel from './features/settings/index.tsx';
import CommitPanel from './features/commit/index.tsx';
import { Viewer } from './features/viewer/Viewer.tsx';

type Tab = 'viewer' | 'export' | 'send' | 'commit' | 'settings';
const TABS: { id: Tab; label: string }[] = [
  { id: 'viewer', label: 'Viewer' },
  { id: 'export', label: 'Export' },
  { id: 'send', label: 'Send queue' },
  { id: 'commit', label: 'Commitment' },
  { id: 'settings', label: 'Settings' },
];

/** The series the page was opened on (`courier serve --open` adds `&series=<id>`). */
function initialSeries(): number | null {
  const n = Number(new URLSearchParams(location.search).get('series'));
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The whole window. */
export function App() {
  const [tab, setTab] = useState<Tab>('viewer');
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [selection, setSelection] = useState<LibrarySelection>(EMPTY_SELECTION);
  const [openSeries, setOpenSeries] = useState<{ seriesId: number; nonce: number } | null>(() => {
    const id = initialSeries();
    return id ? { seriesId: id, nonce: 0 } : null;
  });
  const [problem, setProblem] = useState<string | null>(null);
  const [libraryGeneration, setLibraryGeneration] = useState(0);
  const summary = useSelectionSummary(selection, libraryGeneration);
  const [sending, setSending] = useState(false);
  const [openJob, setOpenJob] = useState<number | null>(null);
  const [openTransaction, setOpenTransaction] = useState<number | null>(null);

  useEffect(() => {
    invoke('app.info', undefined).then(setInfo, (err) => setProblem(errorMessage(err)));
    // Counts of the selection change when files are indexed or deleted.
    return courier.on('library.changed', () => setLibraryGeneration((g) => g + 1));
  }, []);

  const showSeries = useCallback((seriesId: number) => {
    setTab('viewer');
    setOpenSeries({ seriesId, nonce: Date.now() });
  }, []);

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Courier</span>
        <nav className="tabs" role="tablist">
          {TABS.map((t) => (
            <button
              key={t.id}
              role="tab"
              aria-selected={tab === t.id}
              className={tab === t.id ? 'tab active' : 'tab'}
              onClick={() => {
                setOpenTransaction(null);
                setTab(t.id);
              }}
            >
              {t.label}
            </button>
          ))}
        </nav>
        <IndexStatus />
        <span className="host-info" title={info?.libraryPath}>
          {info ? `${info.host === 'browser' ? 'browser host' : 'desktop'} · v${info.version}` : ''}
        </span>
      </header>
      {problem && <div className="banner error">{problem}</div>}
      <div className="body">
        <LibraryPanel
          host={info?.host ?? null}
          selection={selection}
          onSelectionChange={setSelection}
          onOpenSeries={showSeries}
          selectionSummary={summary}
          selectionActions={
            <>
              <button className="primary" onClick={() => setSending(true)}>
                Send…
              </button>
              <button onClick={() => setTab('export')}>Export…</button>
            </>
          }
        />
        <main className="workspace">
          <div hidden={tab !== 'viewer'} className="tab-page">
            <Viewer openSeries={openSeries} />
          </div>
          {tab === 'export' && <ExportPanel selection={selection} summary={summary} />}
          {tab === 'send' && (
            <SendPanel
              selection={selection}
              summary={summary}
              openJob={openJob}
              onNewSend={() => setSending(true)}
              onShowTransaction={(id) => {
                setOpenTransaction(id);
                setTab('commit');
              }}
            />
          )}
          {tab === 'commit' && <CommitPanel initialTransaction={openTransaction} />}
          {tab === 'settings' && <SettingsPanel />}
        </main>
      </div>
      {sending && (
        <SendDialog
          selection={selection}
          onClose={() => setSending(false)}
          onStarted={(sendJobId) => {
            setSending(false);
            setOpenJob(sendJobId);
            setTab('send');
          }}
        />
      )}
    </div>
  );
}
