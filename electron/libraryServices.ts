/**
 * The core services every front end needs — the database, the library, events and jobs — without
 * the networking services (send, commitment), so commands that only read files start fast.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EventHub } from './events.ts';
import { JobRunner } from './jobs/jobs.ts';
import { openDatabase, type Db } from './store/db.ts';
import { LibraryStore } from './store/library.ts';

/** The library part of the services. */
export interface LibraryServices {
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

/** Opens the database under `home` with the library, events and jobs. */
export function createLibraryServices(home: string): LibraryServices {
  const db = openDatabase(join(home, 'courier.db'));
  const events = new EventHub();
  const jobs = new JobRunner(events);
  return {
    home,
    db,
    library: new LibraryStore(db),
    events,
    jobs,
    async close() {
      await jobs.cancelAll();
      db.close();
    },
  };
}
