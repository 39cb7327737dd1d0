/**
 * App channels: information about the running app, and dialogs the host may or may not offer.
 */
import type { AppInfo } from '../../shared/contract/index.ts';
import { CourierError } from '../../shared/errors.ts';
import type { Services } from '../services.ts';
import type { Handlers } from './handlers.ts';

/** What differs between the Electron shell and the browser host. */
export interface HostEnvironment {
  kind: AppInfo['host'];
  version: string;
  /** A native folder picker (Electron only). */
  chooseFolder?: () => Promise<string | null>;
}

/** Handlers of the app channels. */
export function appHandlers(services: Services, host: HostEnvironment): Handlers<'app.info' | 'app.chooseFolder'> {
  return {
    'app.info': () => ({ version: host.version, host: host.kind, libraryPath: services.home }),
    'app.chooseFolder': async () => {
      if (!host.chooseFolder) throw new CourierError('BAD_REQUEST', 'This host has no folder dialog: type the folder path instead');
      return { path: await host.chooseFolder() };
    },
  };
}
