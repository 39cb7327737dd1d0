/**
 * The Electron main process: starts the services, opens the window, wires IPC, the courier://
 * protocol and the menu. The only module (with the preload) that imports 'electron' values.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell } from 'electron';
import { join } from 'node:path';
import { createDispatcher, createHandlers } from '../api/handlers.ts';
import { logger, setLogFile } from '../log.ts';
import { courierHome, createServices, startBackgroundWork, type Services } from '../services.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { buildMenu } from './menu.ts';
import { APP_INDEX_URL, createProtocolHandler, SCHEME, SCHEME_PRIVILEGES } from './protocol.ts';
import { createSenderCheck, hardenWebContents, secureWebPreferences } from './security.ts';

// The bundle lives in dist/electron (an ES module); the renderer in dist/renderer.
const distDir = join(import.meta.dirname, '..');
const rendererDir = join(distDir, 'renderer');
const isOurPage = createSenderCheck(APP_INDEX_URL);

protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: SCHEME_PRIVILEGES }]);
if (!app.requestSingleInstanceLock()) app.quit();

let services: Services | undefined;
const log = logger('main');

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Courier',
    icon: join(distDir, '..', 'assets', 'icon.png'),
    backgroundColor: '#111418',
    show: false,
    webPreferences: secureWebPreferences(join(distDir, 'electron', 'preload.cjs'), { devTools: !app.isPackaged }),
  });
  hardenWebContents(win.webContents, (url) => isOurPage({ url, parent: null }));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_INDEX_URL);
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  services = createServices(courierHome(app.getPath('userData')));
  setLogFile(join(services.home, 'logs', 'courier.log'));
  log.info(`Courier ${app.getVersion()} started; library in ${services.home}`);
  const s = services;
  // The accepter listens on our configured AE/port (nodes report to it); interrupted commitment
  // transactions and send jobs go on.
  startBackgroundWork(s, s.nodes.local().port);
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // Pages, workers and instance bytes all come through courier://app, each with its own CSP (rendererFiles.ts).
  protocol.handle(SCHEME, createProtocolHandler(s, rendererDir));

  const handlers = createHandlers(s, {
    kind: 'electron',
    version: app.getVersion(),
    chooseFolder: async () => {
      const win = BrowserWindow.getFocusedWindow();
      const options = { title: 'Open a folder, CD or DICOMDIR', properties: ['openDirectory' as const] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
  });
  registerIpc(ipcMain, createDispatcher(handlers), (frame) => isOurPage(frame));
  forwardEvents(s.events, () => BrowserWindow.getAllWindows().map((w) => w.webContents));

  Menu.setApplicationMenu(
    buildMenu(Menu, {
      isMac: process.platform === 'darwin',
      devTools: !app.isPackaged,
      openLogs: () => void shell.openPath(s.home),
    }),
  );
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let closing = false;
app.on('before-quit', (event) => {
  if (!services || closing) return;
  // Let running jobs stop cleanly and the database close before the process ends.
  event.preventDefault();
  closing = true;
  void services.close().finally(() => app.quit());
});

// The process never dies of one bad message or file: log it and go on (docs/data-safety.md, invariant 4).
process.on('uncaughtException', (err) => log.error('uncaught exception:', err));
process.on('unhandledRejection', (err) => log.error('unhandled rejection:', err));

void start().catch((err) => {
  dialog.showErrorBox('Courier could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
