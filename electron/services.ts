/**
 * The services behind the app, the CLI and the browser host: one database, the library, jobs
 * and events. Plain Node: nothing here imports 'electron'.
 */
import { createLibraryServices, type LibraryServices } from './libraryServices.ts';
import { CommitService, type CommitOptions } from './commit/service.ts';
import type { DeleteHooks } from './commit/delete.ts';
import { SendService } from './send/service.ts';
import { SendCommitWorkflow } from './workflow/sendCommit.ts';
import { NodeService, type NodeOverrides } from './nodes/nodeService.ts';
import type { NodeStore } from './store/nodes.ts';

export { courierHome } from './libraryServices.ts';

/** Everything a front end (Electron shell, CLI, browser host) talks to. */
export interface Services extends LibraryServices {
  /** Storage commitment: requests, the accepter, reports, deletion (electron/commit). */
  commit: CommitService;
  /** The C-STORE send queue (electron/send); `send.resumeInterrupted()` at app start. */
  send: SendService;
  /** Remote nodes, our own AE and TLS (electron/nodes). */
  nodes: NodeService;
  /** Send jobs with storage commitment: the job asks once its stores end (electron/workflow). */
  workflow: SendCommitWorkflow;
  close(): Promise<void>;
}

/** What one run sets over the saved settings (the CLI's options); the app passes none. */
export interface ServiceOptions {
  /** Our AE title or TLS credentials for this run, computed from the saved nodes. */
  nodes?: (saved: NodeStore) => NodeOverrides;
  /** Storage commitment timing. */
  commit?: Partial<CommitOptions>;
  /** Deletion hooks (tests). */
  deleteHooks?: DeleteHooks;
}

/** Opens the database under `home` and wires the services together, each given what it uses. */
export function createServices(home: string, opts: ServiceOptions = {}): Services {
  const core = createLibraryServices(home);
  const { db, library, events, jobs } = core;
  const store = new NodeService(db);
  const nodes = opts.nodes ? new NodeService(db, opts.nodes(store.store)) : store;
  const commit = new CommitService({ db, events, library, nodes, options: opts.commit, deleteHooks: opts.deleteHooks });
  const send = new SendService({ db, library, jobs, events, nodes });
  const workflow = new SendCommitWorkflow({ send, commit, events });
  return {
    ...core,
    commit,
    send,
    nodes,
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
 * What a front end starts with (the Electron app, `courier serve`): send jobs a quit or crash
 * interrupted go on, and in the background the storage commitment accepter listens on
 * `accepterPort` (none when null), interrupted transactions resume, what an outage left
 * uncommitted is asked again, and jobs whose stores ended ask for their commitment.
 */
export function startBackgroundWork(s: Services, accepterPort: number | null): void {
  s.send.resumeInterrupted();
  void s.workflow.startBackground(accepterPort);
}
