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

/** Everything a front end (Electron shell, CLI, browser host) talks to. */
export interface Services {
  home: string;
  db: Db;
  library: LibraryStore;
  events: EventHub;
  jobs: JobRunner;
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
  return {
    home,
    db,
    library,
    events,
    jobs,
    async close() {
      await jobs.cancelAll();
      db.close();
    },
  };
}
