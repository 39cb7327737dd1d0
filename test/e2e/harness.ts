/**
 * End-to-end harness: runs the real `courier serve` (the CLI, as a user would) with a fresh
 * COURIER_HOME on a free port, and drives Debian's Chromium (/usr/bin/chromium) against it with
 * playwright-core. Page errors and console errors are collected so every test can assert there
 * were none.
 *
 * Usage in a test file (node:test):
 *
 *   import { openApp } from './harness.ts';
 *   test('…', async (t) => {
 *     const app = await openApp({ open: someFolder });   // indexes the folder first
 *     t.after(() => app.close());                        // stops Chromium and the server, removes the home
 *     await app.page.getByTestId('series-row').first().click();
 *     await app.waitForImage();                          // first viewport shows an image
 *     assert.deepEqual(app.pageErrors, []);
 *   });
 *
 * `startServe`, `launchChromium` and `collectErrors` are exported separately for tests that need only one of them.
 * Set COURIER_E2E_HEADED=1 to watch (needs a display; try `xvfb-run`).
 */
import type { ChildProcess } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, freePort, spawnCli, tempDir } from '../helpers.ts';

/** Flags for a quiet, sandbox-free headless Chromium in CI containers. */
export const CHROMIUM_ARGS = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--no-sandbox'];

/** A running `courier serve`. */
export interface Serve {
  url: string;
  port: number;
  home: string;
  process: ChildProcess;
  /** Everything the server wrote on stderr (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `courier serve` (building the renderer if stale); resolves once it printed its URL. */
export async function startServe(opts: { open?: string; home?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; args?: string[] } = {}): Promise<Serve> {
  const ownHome = opts.home ? null : tempDir('courier-e2e-home-');
  const home = opts.home ?? ownHome!.path;
  const port = await freePort();
  const args = ['serve', '--port', String(port)];
  if (opts.open) args.push('--open', opts.open);
  if (opts.args) args.push(...opts.args);
  const child = spawnCli(args, home, opts.env);
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`courier serve printed no URL within ${opts.timeoutMs ?? 180_000} ms\n${err}`)), opts.timeoutMs ?? 180_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('http://'));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`courier serve exited with ${code} before printing a URL\n${err}`));
    });
  });
  return {
    url,
    port,
    home,
    process: child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      ownHome?.cleanup();
    },
  };
}

/** Launches Debian's Chromium (headless unless COURIER_E2E_HEADED=1); playwright gives it a fresh temporary profile. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const headed = process.env.COURIER_E2E_HEADED === '1';
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: !headed,
    args: [...(headed ? [] : ['--headless']), ...CHROMIUM_ARGS],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/** Collects a page's uncaught exceptions and console errors from now on (a test asserts both stay empty, or names those it provokes). */
export function collectErrors(page: Page): { pageErrors: string[]; consoleErrors: string[] } {
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`${e.name}: ${e.message}${process.env.COURIER_E2E_STACKS ? `\n${e.stack}` : ''}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  return { pageErrors, consoleErrors };
}

/** The app open in Chromium against a running `courier serve`. */
export interface App {
  serve: Serve;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page (must stay empty). */
  pageErrors: string[];
  /** console.error messages in the page. */
  consoleErrors: string[];
  /** Waits until viewport `pane` (default 0) shows an image; returns its data-* state. */
  waitForImage(pane?: number, timeoutMs?: number): Promise<ViewportState>;
  /** The data-* state of viewport `pane`. */
  viewport(pane?: number): Promise<ViewportState>;
  close(): Promise<void>;
}

/** What a viewport reports through its data-* attributes. */
export interface ViewportState {
  state: string;
  index: number;
  count: number;
  instanceId: number | null;
  seriesId: number | null;
  ww: number;
  wc: number;
  scale: number;
}

/** Starts the server (optionally indexing `open`; `args` go to `courier serve`), launches Chromium and opens the printed URL. */
export async function openApp(
  opts: {
    open?: string;
    viewport?: { width: number; height: number };
    env?: NodeJS.ProcessEnv;
    args?: string[];
    /** Runs once the server is up (with `open`: indexed) and before the page loads, e.g. to change files behind the library's back. */
    beforePage?: (serve: Serve) => void | Promise<void>;
  } = {},
): Promise<App> {
  const serve = await startServe({ open: opts.open, env: opts.env, args: opts.args });
  let chromiumHandle: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    await opts.beforePage?.(serve);
    chromiumHandle = await launchChromium();
    const context = await chromiumHandle.browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    const { pageErrors, consoleErrors } = collectErrors(page);
    await page.goto(serve.url);
    const viewport = async (pane = 0): Promise<ViewportState> => {
      const el = page.getByTestId('viewport').nth(pane);
      const attrs = await el.evaluate((e: Element) => ({ ...(e as HTMLElement).dataset }));
      const num = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v));
      return {
        state: attrs.state ?? '',
        index: num(attrs.index),
        count: num(attrs.count),
        instanceId: attrs.instanceId ? Number(attrs.instanceId) : null,
        seriesId: attrs.seriesId ? Number(attrs.seriesId) : null,
        ww: num(attrs.ww),
        wc: num(attrs.wc),
        scale: num(attrs.scale),
      };
    };
    const handle = chromiumHandle;
    return {
      serve,
      browser: handle.browser,
      context,
      page,
      pageErrors,
      consoleErrors,
      viewport,
      async waitForImage(pane = 0, timeoutMs = 30_000) {
        const el = page.getByTestId('viewport').nth(pane);
        await el.and(page.locator('[data-state="shown"], [data-state="error"]')).waitFor({ timeout: timeoutMs });
        const s = await viewport(pane);
        if (s.state === 'error') throw new Error(`viewport ${pane} shows an error: ${await el.getByTestId('viewport-error').textContent()}`);
        // The overlay's W/L comes with the first rendered frame.
        await page.waitForFunction((i) => (document.querySelectorAll('[data-testid="viewport"]')[i] as HTMLElement)?.dataset.ww !== '', pane, { timeout: timeoutMs });
        return viewport(pane);
      },
      async close() {
        await handle.close();
        await serve.stop();
      },
    };
  } catch (err) {
    await chromiumHandle?.close();
    await serve.stop();
    throw err;
  }
}
