/**
 * The services behind the app, the CLI and the browser host: one database, the library, jobs
 * and events. Plain Node: nothing here imports 'electron'.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from './store/db.ts';
import { LibraryStore } from './store/library.ts';
import { JobRunner } from './jobs/jobs.ts';
import { EventHub } from './events.ts';
import { CommitService } from './commit/service.ts';
import { SendService } from './send/service.ts';
import type { NodeStore } from './store/nodes.ts';

/** Everything a front end (Electron shell, CLI, browser host) talks to. */
export interface Services {
  home: string;
  db: Db;
  library: LibraryStore;
  events: EventHub;
  jobs: JobRunner;
  /** Storage commitment: requests, the accepter, reports, deletion (electron/commit). */
  commit: CommitService;
  /** The C-STORE send queue (electron/send); `send.resumeInterrupted()` at app start. */
  send: SendService;
  /** Remote nodes and our own AE (electron/store/nodes.ts). */
  nodes: NodeStore;
  close(): Promise<void>;
}

/** The library folder: $COURIER_HOME, else `fallback` (Electron's userData), else ~/.config/Courier. */
export function courierHome(fallback?: string): string {
  return process.env.COURIER_HOME || fallback || join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'Courier');
}

/** Opens the database under `home` and wires the services together. */
export function createServices(home: string): Services {
  const db = openDatabase(join(home, 'courier.db'));
  const events = new EventHub();
  const jobs = new JobRunner(events);
  const library = new LibraryStore(db);
  const commit = new CommitService(db, events, library);
  const send = new SendService({ db, library, jobs, events });
  commit.knownNodes = () => send.nodes.list().map((n) => ({ aeTitle: n.aeTitle, host: n.host }));
  return {
    home,
    db,
    library,
    events,
    jobs,
    commit,
    send,
    nodes: send.nodes,
    async close() {
      await jobs.cancelAll();
      await commit.close();
      db.close();
    },
  };
}
