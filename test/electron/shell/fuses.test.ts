// The Electron fuses the installers ship with (package.json build.electronFuses), flipped by
// electron-builder's own code (its fuse mapping, then @electron/fuses) on a stand-in for the Electron
// binary: Electron itself cannot run here, but the wire it carries is this simple (sentinel, version, fuses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers.ts';

type Fuses = typeof import('@electron/fuses');
const require = createRequire(import.meta.url);
const fuses = require('@electron/fuses') as Fuses;
const { PlatformPackager } = require('app-builder-lib') as {
  PlatformPackager: { prototype: { generateFuseConfig(fuses: unknown): Promise<Parameters<Fuses['flipFuses']>[1]> } };
};
/** Where Electron's fuse wire starts (@electron/fuses' SENTINEL), and its two states ('1', '0'). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const on = 0x31;
const off = 0x30;

test('packaged builds turn off RunAsNode, NODE_OPTIONS and --inspect, and load only an integrity-checked app.asar with encrypted cookies', async () => {
  const config = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { build: { asar: boolean; electronFuses: Record<string, boolean> } }).build;
  assert.equal(config.asar, true, 'onlyLoadAppFromAsar needs the app packed in app.asar');
  const dir = tempDir();
  try {
    // Electron's defaults, as shipped: RunAsNode, NODE_OPTIONS, --inspect and file:// privileges on; the rest off.
    const binary = join(dir.path, 'courier');
    writeFileSync(binary, Buffer.concat([Buffer.from('ELF…'), Buffer.from(SENTINEL), Buffer.from([1, 8, on, off, on, on, off, off, off, on]), Buffer.from('…')]));
    await fuses.flipFuses(binary, await PlatformPackager.prototype.generateFuseConfig.call(null, config.electronFuses));
    const wire = await fuses.getCurrentFuseWire(binary);
    const O = fuses.FuseV1Options;
    const state = (o: number) => (wire as unknown as Record<number, number>)[o];
    assert.equal(state(O.RunAsNode), off, 'ELECTRON_RUN_AS_NODE would turn the app into a plain Node');
    assert.equal(state(O.EnableNodeOptionsEnvironmentVariable), off);
    assert.equal(state(O.EnableNodeCliInspectArguments), off);
    assert.equal(state(O.EnableCookieEncryption), on);
    assert.equal(state(O.EnableEmbeddedAsarIntegrityValidation), on);
    assert.equal(state(O.OnlyLoadAppFromAsar), on);
    assert.equal(state(O.GrantFileProtocolExtraPrivileges), off, 'the app is served from courier://, not file://');
    assert.equal(state(O.LoadBrowserProcessSpecificV8Snapshot), off);
  } finally {
    dir.cleanup();
  }
});
