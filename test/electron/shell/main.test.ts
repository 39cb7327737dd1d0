// The Electron main process as shipped and in development: electron/shell/main.ts itself runs (in a
// child Node process) against a stand-in for the 'electron' module that records the window it opens
// and the menu it sets. Packaged (app.isPackaged), the window has no DevTools and the menu no
// Toggle Developer Tools; in development both are there. (security.test.ts and menu.test.ts check
// the two builders; this checks main.ts passes them what it should.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServices } from '../../../electron/services.ts';
import { freePort, ROOT, tempDir } from '../../helpers.ts';

/** The stand-in 'electron' module: just what main.ts calls; the window and the menu are kept for the test. */
const FAKE_ELECTRON = `
const seen = (globalThis.__electron = { windows: [], menu: null, errors: [] });
const emitter = () => ({ on() {}, once() {}, setWindowOpenHandler() {} });
export const app = {
  isPackaged: process.env.FAKE_PACKAGED === '1',
  requestSingleInstanceLock: () => true,
  quit() {},
  exit() {},
  on() {},
  whenReady: () => Promise.resolve(),
  getPath: () => process.env.COURIER_HOME,
  getVersion: () => '0.0.0-test',
};
export class BrowserWindow {
  constructor(options) { this.options = options; this.webContents = emitter(); seen.windows.push(options); }
  once() {}
  loadURL() { return Promise.resolve(); }
  static getAllWindows() { return []; }
  static getFocusedWindow() { return null; }
}
export const dialog = { showErrorBox: (title, message) => seen.errors.push(title + ': ' + message), showOpenDialog: async () => ({ canceled: true }) };
export const ipcMain = { handle() {}, removeHandler() {} };
export const Menu = { buildFromTemplate: (template) => template, setApplicationMenu: (menu) => { seen.menu = menu; } };
export const protocol = { registerSchemesAsPrivileged() {}, handle() {} };
export const session = { defaultSession: { setPermissionRequestHandler() {} } };
export const shell = { openPath: async () => '' };
export default { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell };
`;

/** Runs main.ts with the stand-in; returns the window's webPreferences.devTools and the menu (as JSON). */
function runMain(home: string, dir: string, packaged: boolean): { devTools: unknown; menu: string; errors: string[] } {
  const fake = join(dir, 'electron.mjs');
  writeFileSync(fake, FAKE_ELECTRON);
  const hooks = `export async function resolve(specifier, context, next) {
    return specifier === 'electron' ? { url: ${JSON.stringify(pathToFileURL(fake).href)}, shortCircuit: true } : next(specifier, context);
  }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
    await import(${JSON.stringify(pathToFileURL(join(ROOT, 'electron/shell/main.ts')).href)});
    const seen = globalThis.__electron;
    for (let i = 0; i < 600 && !seen.windows.length && !seen.errors.length; i++) await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify({ devTools: seen.windows[0]?.webPreferences?.devTools ?? 'no window', menu: JSON.stringify(seen.menu), errors: seen.errors }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, COURIER_HOME: home, FAKE_PACKAGED: packaged ? '1' : '0' },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { devTools: unknown; menu: string; errors: string[] };
}

test('a packaged app opens its window without DevTools and has no Toggle Developer Tools; development has both', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const home = join(dir.path, 'home');
  // The accepter main.ts starts listens on our AE's port: a free one, not the default another test may hold.
  const services = createServices(home);
  services.nodes.setLocal({ aeTitle: 'COURIER', port: await freePort() });
  await services.close();

  const shipped = runMain(home, dir.path, true);
  assert.deepEqual(shipped.errors, []);
  assert.equal(shipped.devTools, false);
  assert.match(shipped.menu, /"label":"View"/);
  assert.doesNotMatch(shipped.menu, /toggleDevTools/i);

  const development = runMain(home, dir.path, false);
  assert.equal(development.devTools, true);
  assert.match(development.menu, /toggleDevTools/);
});
