/**
 * `courier serve` killed with SIGKILL while it waits for a storage commitment report, then started
 * again on the same library, ends as an uninterrupted run does: the same files deleted
 * (the committed ones, each once, audited) and the same Commitment tab on the screen. The PACS
 * (`courier pacs --commit-delivery next`) holds its report for Courier's next association, so the
 * report outlives the crash; the send job was queued with commitment before serve started, so the
 * job itself asks for commitment once its stores end, in the process that is killed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectErrors, launchChromium, startServe, type Serve } from './harness.ts';
import { freePort, tempDir } from '../helpers.ts';
import { createServices } from '../../electron/services.ts';
import { indexPath } from '../../electron/library/indexer.ts';
import { startPacs } from '../../electron/pacs/pacs.ts';
import { makeStudy } from '../electron/commit/study.ts';

const SEED = 424242;

/** One run: queue, serve (killed once while it waits for the report when `kill`), and what the screen and the disk show at the end. */
async function run(kill: boolean): Promise<{ screen: string; kept: string[]; gone: string[] }> {
  const tmp = tempDir('courier-e2e-killed-');
  const home = join(tmp.path, 'home');
  const files = makeStudy(join(tmp.path, 'study'), 3, SEED);
  const lines: string[] = [];
  const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(tmp.path, 'pacs'), delivery: 'next', delayMs: 0, fail: new Map([[files[1].sopInstanceUid, 0x0110]]), log: (l) => lines.push(l) });
  let serve: Serve | null = null;
  const chromium = await launchChromium();
  try {
    // The library and a job queued with commitment and deletion, as the Send dialog leaves them.
    const setup = createServices(home);
    await indexPath(setup.db, setup.library, join(tmp.path, 'study'));
    setup.send.queueFiles(
      { nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port, maxAssociations: 1 },
      'COURIER',
      'study → PACS',
      files.map((f) => ({ path: f.path })),
      // The report is collected halfway to the deadline (8 s), or at once after a restart past the deadline (16 s), and
      // whether or not the killed process wrote the N-ACTION-RSP down (CommitService.settle, mayHoldReport): no
      // re-request either way, so a slow restart under load needs no longer deadline.
      { request: true, deleteAfterCommit: true, timeoutMs: 16_000, attempts: 2 },
    );
    await setup.close();

    const listen = ['--listen', String(await freePort())];
    serve = await startServe({ home, args: listen });
    if (kill) {
      // The N-ACTION was answered and the report is held for our next association: now the process dies, before or
      // after it wrote the N-ACTION-RSP down (either way the next start collects the report: CommitService.settle).
      const end = Date.now() + 60_000;
      while (!lines.some((l) => /^report .* held for COURIER/.test(l))) {
        if (Date.now() > end) throw new Error(`no N-ACTION came: ${lines.join('\n')}\n${serve.stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const exited = new Promise((r) => serve!.process.once('exit', r));
      serve.process.kill('SIGKILL');
      await exited;
      assert.ok(files.every((f) => existsSync(f.path)), 'nothing is deleted before the report');
      serve = await startServe({ home, args: listen });
    }

    // The page opens once the committed files are gone: a series thumbnail requested while its file is being
    // deleted fails to load (a 404 the console reports), which is a race of this test, not what it is about.
    const end = Date.now() + 60_000;
    while (files.some((f, i) => i !== 1 && existsSync(f.path))) {
      if (Date.now() > end) throw new Error(`the committed files were not deleted: ${serve.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await (await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const errors = collectErrors(page);
    await page.goto(serve.url);
    await page.getByRole('tab', { name: 'Commitment' }).click();
    await page.getByTestId('commit-transaction').first().click();
    const instances = page.getByTestId('commit-instances');
    await instances.locator('tr[data-state="committed"]').nth(1).waitFor({ timeout: 60_000 });
    await instances.locator('tr[data-state="failed"]').waitFor();
    await page.getByTestId('commit-audit').locator('summary').filter({ hasText: 'Deleted files (2)' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('commit-audit').locator('summary').click();
    const text = await page.locator('.commit-panel').innerText();
    const screen = text
      .split(tmp.path).join('<tmp>')
      .replace(/2\.25\.\d+/g, '<transaction UID>')
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
      .replace(/port \d+/g, 'port <port>')
      .replace(/\d{1,2}\/\d{1,2}\/\d{4},? \d{1,2}:\d{2}:\d{2}( [AP]M)?/g, '<time>');
    assert.deepEqual(errors, { pageErrors: [], consoleErrors: [] });
    return {
      screen,
      kept: files.filter((f) => existsSync(f.path)).map((f) => f.path.slice(tmp.path.length)),
      gone: files.filter((f) => !existsSync(f.path)).map((f) => f.path.slice(tmp.path.length)),
    };
  } finally {
    await chromium.close();
    await serve?.stop();
    await pacs.close();
    tmp.cleanup();
  }
}

test('ServeKilledWhileWaitingForTheReport_StartedAgain_EndsWithTheSameDiskAndCommitmentTab', async () => {
  const uninterrupted = await run(false);
  const killed = await run(true);
  assert.deepEqual(uninterrupted.kept, ['/study/IM00002.dcm'], 'the refused instance stays');
  assert.deepEqual(uninterrupted.gone, ['/study/IM00001.dcm', '/study/IM00003.dcm']);
  assert.deepEqual(killed.kept, uninterrupted.kept);
  assert.deepEqual(killed.gone, uninterrupted.gone);
  assert.equal(killed.screen, uninterrupted.screen);
  assert.match(killed.screen, /reported/);
  assert.match(killed.screen, /Deleted files \(2\)/);
});
