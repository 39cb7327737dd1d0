/**
 * The services behind the app, the CLI and the browser host: one database, the library, jobs
 * and events. Plain Node: nothing here imports 'electron'.
 */
import { readTlsCredentials } from './dimse/tls.ts';
import { createLibraryServices, type LibraryServices } from './libraryServices.ts';
import { CommitService } from './commit/service.ts';
import { SendService } from './send/service.ts';
import { SendCommitWorkflow } from './workflow/sendCommit.ts';
import type { NodeStore } from './store/nodes.ts';

export { courierHome } from './libraryServices.ts';

/** Everything a front end (Electron shell, CLI, browser host) talks to. */
export interface Services extends LibraryServices {
  /** Storage commitment: requests, the accepter, reports, deletion (electron/commit). */
  commit: CommitService;
  /** The C-STORE send queue (electron/send); `send.resumeInterrupted()` at app start. */
  send: SendService;
  /** Remote nodes and our own AE (electron/store/nodes.ts). */
  nodes: NodeStore;
  /** Send jobs with storage commitment: the job asks once its stores end (electron/workflow). */
  workflow: SendCommitWorkflow;
  close(): Promise<void>;
}

/** Opens the database under `home` and wires the services together. */
export function createServices(home: string): Services {
  const core = createLibraryServices(home);
  const { db, library, events, jobs } = core;
  const commit = new CommitService(db, events, library);
  const send = new SendService({ db, library, jobs, events });
  commit.knownNodes = () => send.nodes.list().map((n) => ({ aeTitle: n.aeTitle, host: n.host }));
  commit.tlsFor = (n) => send.tlsFor(n);
  // (Without our certificate, the accepter refuses TLS callers and says why: server.ts.)
  commit.tlsServer = () => readTlsCredentials(send.nodes.local().tls);
  const workflow = new SendCommitWorkflow({ send, commit, events });
  return {
    ...core,
    commit,
    send,
    nodes: send.nodes,
    workflow,
    async close() {
      workflow.close();
      await jobs.cancelAll();
      await commit.close();
      await core.close();
    },
  };
}

/**
 * What a front end starts with (the Electron app, `courier serve`): our AE title for requests, the
 * storage commitment accepter on `accepterPort` (none when null) with interrupted transactions
 * resumed, and send jobs a quit or crash interrupted going on.
 */
export function startBackgroundWork(s: Services, accepterPort: number | null): void {
  s.commit.options.aeTitle = s.nodes.local().aeTitle;
  void s.commit.startBackground(accepterPort);
  s.send.resumeInterrupted();
  s.workflow.resume();
}
