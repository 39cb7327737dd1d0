/**
 * The window's security settings and the checks every IPC message and navigation passes
 * (Electron's security checklist: context isolation, sandbox, no node integration, a CSP,
 * navigation and new windows blocked, every sender validated).
 * Only types are imported from 'electron' here, so this runs and is tested in plain Node.
 */
import type { WebContents, WebPreferences } from 'electron';

/** The webPreferences of every Courier window; `devTools` only in development (`!app.isPackaged`). */
export function secureWebPreferences(preloadPath: string, opts: { devTools: boolean }): WebPreferences {
  return {
    preload: preloadPath,
    devTools: opts.devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** What a sender check needs to know of the frame a message came from. */
export interface SenderFrame {
  url: string;
  /** null for a main frame. */
  parent: unknown;
}

/**
 * Builds the check every IPC message passes: it must come from a main frame whose URL is one of
 * our renderer's pages (same protocol and path prefix as `rendererUrl`), parsed with URL.
 */
export function createSenderCheck(rendererUrl: string): (frame: SenderFrame | null | undefined) => boolean {
  const allowed = new URL(rendererUrl);
  const dir = allowed.pathname.slice(0, allowed.pathname.lastIndexOf('/') + 1);
  return (frame) => {
    if (!frame || frame.parent) return false;
    let url: URL;
    try {
      url = new URL(frame.url);
    } catch {
      return false;
    }
    return url.protocol === allowed.protocol && url.host === allowed.host && url.pathname.startsWith(dir) && !url.pathname.includes('..');
  };
}

/** Blocks navigation away from our pages, new windows and webviews for one WebContents. */
export function hardenWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, isOurPage: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isOurPage(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isOurPage(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
