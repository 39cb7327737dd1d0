// The Electron bundles: main is an ES module that imports 'electron'; the sandboxed preload is
// one file whose only require is 'electron' and which exposes window.courier alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { join } from 'node:path';
import { ROOT } from '../../helpers.ts';

test('the preload bundles to one file requiring only electron, exposing only window.courier', async () => {
  const out = await build({ entryPoints: [join(ROOT, 'electron/preload.ts')], bundle: true, write: false, platform: 'browser', format: 'cjs', external: ['electron'] });
  const code = out.outputFiles[0].text;
  assert.deepEqual([...new Set(code.match(/require\("[^"]+"\)/g))], ['require("electron")']);
  assert.deepEqual(code.match(/exposeInMainWorld\("(\w+)"/g), ['exposeInMainWorld("courier"']);
  assert.doesNotMatch(code, /ipcRenderer\s*[,}]\s*\)/, 'ipcRenderer itself is never exposed');
});

test('the main process bundles as an ES module that loads electron and our services', async () => {
  const out = await build({ entryPoints: [join(ROOT, 'electron/shell/main.ts')], bundle: true, write: false, platform: 'node', format: 'esm', packages: 'external', external: ['electron'], logLevel: 'silent' });
  const code = out.outputFiles[0].text;
  assert.match(code, /from "electron"/);
  assert.match(code, /registerSchemesAsPrivileged/);
  assert.match(code, /contextIsolation: true/);
});
