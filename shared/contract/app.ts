/**
 * App-level channels: dialogs and information about the running app.
 */
import { none } from '../validate.ts';
import { channel } from './channel.ts';

/** Where the app runs: Electron shows native dialogs; the browser host cannot. */
export interface AppInfo {
  version: string;
  host: 'electron' | 'browser';
  libraryPath: string;
}

/** App channels. */
export const appChannels = {
  'app.info': channel<AppInfo>()(none),
  /** Electron only: a native folder picker; null when the user cancels. */
  'app.chooseFolder': channel<{ path: string | null }>()(none),
};
