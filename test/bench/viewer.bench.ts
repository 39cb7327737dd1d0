/**
 * `npm run bench:viewer`: the viewer in headless Chromium against `courier serve`, on a 600-slice
 * 512×512 CT series (test/fixtures/generate.ts, cached under test/.tmp/corpus/ct600):
 *   - selecting the series → its first image on screen (target < 300 ms); the library's thumbnail
 *     has usually decoded image 1 already, so the cold latency of one slice is also given (End key
 *     → the last slice, the one prefetch reaches last);
 *   - sustained scrolling through the stack: next slice as soon as the previous one has rendered,
 *     prefetch running (target ≥ 30 images/s);
 *   - the same scroll again with everything cached (rendering alone), and the machine's load;
 *   - renderer memory after scrolling all 600 (RSS of the renderer process, and the JS heap).
 * BENCH_RUNS (default 3) repeats the series selection in fresh pages; medians are printed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { ensureCorpus } from '../fixtures/generate.ts';
import { runCli, tempDir } from '../helpers.ts';
import { launchChromium, startServe } from '../e2e/harness.ts';
import { median } from './benchUtil.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Resident memory (MB) of the renderer processes of the Chromium whose browser process is a child of ours. */
function rendererRssMb(): number {
  const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const stat = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  };
  const cmd = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  const ppid = (pid: string) => Number(stat(pid).split(') ')[1]?.split(' ')[1]);
  const browser = children.find((p) => ppid(p) === process.pid && /chrom/.test(cmd(p)));
  if (!browser) return NaN;
  const descends = (p: string): boolean => {
    for (let x = Number(p), n = 0; x > 1 && n < 10; x = ppid(String(x)), n++) if (String(x) === browser) return true;
    return false;
  };
  let kb = 0;
  for (const p of children) {
    if (!cmd(p).includes('--type=renderer') || !descends(p)) continue;
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    kb = Math.max(kb, m ? Number(m[1]) : 0);
  }
  return kb / 1024;
}

/** Clicks the series and resolves with ms until its first image has been rendered. */
function timeFirstImage(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const pane = document.querySelector('[data-testid="viewport"]') as HTMLElement;
        const el = pane.querySelector('.viewport-element')!;
        const t0 = performance.now();
        el.addEventListener('cornerstoneimagerendered', () => resolve(performance.now() - t0), { once: true });
        (document.querySelector('[data-testid="series-row"] .series-open') as HTMLElement).click();
      }),
  );
}

/** Presses `key` on the viewport and resolves with ms until an image is rendered. */
function timeKeyToRender(page: Page, key: string): Promise<number> {
  return page.evaluate(
    (k) =>
      new Promise<number>((resolve) => {
        const pane = document.querySelector('[data-testid="viewport"]') as HTMLElement;
        const el = pane.querySelector('.viewport-element')!;
        const t0 = performance.now();
        el.addEventListener('cornerstoneimagerendered', () => resolve(performance.now() - t0), { once: true });
        pane.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
      }),
    key,
  );
}

/** Steps through the whole stack, each step when the previous image has rendered; returns images/s. */
function scrollAll(page: Page): Promise<{ images: number; seconds: number }> {
  return page.evaluate(
    () =>
      new Promise<{ images: number; seconds: number }>((resolve) => {
        const pane = document.querySelector('[data-testid="viewport"]') as HTMLElement;
        const el = pane.querySelector('.viewport-element')!;
        const count = Number(pane.dataset.count);
        let shown = 0;
        const t0 = performance.now();
        const step = () => pane.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
        const onRendered = () => {
          shown++;
          if (shown >= count - 1) {
            el.removeEventListener('cornerstoneimagerendered', onRendered);
            resolve({ images: shown, seconds: (performance.now() - t0) / 1000 });
          } else step();
        };
        el.addEventListener('cornerstoneimagerendered', onRendered);
        step();
      }),
  );
}

console.log('Preparing the 600-slice CT (generated once under test/.tmp/corpus)…');
const corpus = ensureCorpus('ct600');
const home = tempDir('courier-bench-viewer-');
const index = runCli(['index', corpus, '--json'], home.path);
if (index.status !== 0) throw new Error(index.stderr);
const serve = await startServe({ home: home.path });
const chromium = await launchChromium();
try {
  const firsts: number[] = [];
  const colds: number[] = [];
  let scroll = { images: 0, seconds: 0 };
  let cached = { images: 0, seconds: 0 };
  let rss = NaN;
  let heapMb = NaN;
  for (let run = 0; run < RUNS; run++) {
    const context = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(serve.url);
    await page.locator('[data-testid="series-row"] img.thumb').waitFor(); // the library as a user sees it
    firsts.push(await timeFirstImage(page));
    colds.push(await timeKeyToRender(page, 'End'));
    await timeKeyToRender(page, 'Home');
    if (run === 0) {
      scroll = await scrollAll(page);
      rss = rendererRssMb();
      await timeKeyToRender(page, 'Home');
      cached = await scrollAll(page);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const { metrics } = await cdp.send('Performance.getMetrics');
      heapMb = (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 2 ** 20;
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    await context.close();
  }
  const first = median(firsts);
  const rate = scroll.images / scroll.seconds;
  console.log('\nViewer, 600-slice 512×512 CT (16-bit, uncompressed), headless Chromium');
  console.log(`  select series → first image       ${first.toFixed(0)} ms (median of ${RUNS}; runs ${firsts.map((x) => x.toFixed(0)).join(', ')})   target < 300 ms ${first < 300 ? 'OK' : 'MISSED'}`);
  console.log(`  one cold slice (End → last slice)  ${median(colds).toFixed(0)} ms (median)`);
  console.log(`  sustained scroll, prefetch on      ${rate.toFixed(1)} images/s (${scroll.images} images in ${scroll.seconds.toFixed(2)} s)   target ≥ 30 ${rate >= 30 ? 'OK' : 'MISSED'}`);
  console.log(`  scroll again, all cached           ${(cached.images / cached.seconds).toFixed(1)} images/s (rendering alone)`);
  console.log(`  load average now                   ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log(`  renderer memory after all 600      ${rss.toFixed(0)} MB RSS, ${heapMb.toFixed(0)} MB JS heap`);
} finally {
  await chromium.close();
  await serve.stop();
  home.cleanup();
}
