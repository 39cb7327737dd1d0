// A library path swapped after it was indexed — for a FIFO, or for a symbolic link that loops: the
// viewer's bytes, the tag browser, an export and the send check say so at once, in words (not ELOOP),
// instead of waiting forever for a writer (run in a child with a timeout, so a regression fails
// instead of hanging the suite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES, ROOT, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';

interface Outcome {
  bytes: string;
  tags: string;
  send: string;
  export: string[];
  exported: number;
}

/** Indexes a copy of CT_small, runs `swap` (JavaScript, `path` in scope) on its path, then asks each reader for it. */
function swapAfterIndexing(swap: string): Outcome {
  const tmp = tempDir();
  try {
    const dir = join(tmp.path, 'folder');
    mkdirSync(dir);
    const path = join(dir, 'ct.dcm');
    copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), path);
    const script = `
      import { createServices } from ${JSON.stringify(join(ROOT, 'electron/services.ts'))};
      import { indexPath } from ${JSON.stringify(join(ROOT, 'electron/library/indexer.ts'))};
      import { openInstanceBytes } from ${JSON.stringify(join(ROOT, 'electron/api/instanceBytes.ts'))};
      import { viewerHandlers } from ${JSON.stringify(join(ROOT, 'electron/api/viewer.ts'))};
      import { buildFileSet } from ${JSON.stringify(join(ROOT, 'electron/dicomdir/fileset.ts'))};
      import { preflight } from ${JSON.stringify(join(ROOT, 'electron/send/preflight.ts'))};
      import { execFileSync } from 'node:child_process';
      import { rmSync, symlinkSync } from 'node:fs';
      const s = createServices(${JSON.stringify(join(tmp.path, 'home'))});
      await indexPath(s.db, s.library, ${JSON.stringify(dir)});
      const id = s.library.filesOf({ patientIds: s.library.patients().map((p) => p.id) })[0].instanceId;
      const path = ${JSON.stringify(path)};
      rmSync(path);
      ${swap};
      const out = {};
      try { openInstanceBytes(s, id); out.bytes = 'opened'; } catch (e) { out.bytes = e.message; }
      try { viewerHandlers(s)['viewer.tags']({ instanceId: id }); out.tags = 'read'; } catch (e) { out.tags = e.message; }
      const checked = preflight(path);
      out.send = checked.ok ? 'sendable' : checked.reason;
      const r = await buildFileSet([path, ${JSON.stringify(join(PYDICOM_TEST_FILES, 'MR_small.dcm'))}], { out: ${JSON.stringify(join(tmp.path, 'export'))} });
      out.exported = r.instances;
      out.export = r.errors.map((e) => e.message);
      await s.close();
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, null, `blocked (killed after 120 s)\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Outcome;
    assert.equal(out.exported, 1, 'the rest of the export goes on');
    assert.equal(out.export.length, 1);
    return out;
  } finally {
    rmSync(tmp.path, { recursive: true, force: true });
  }
}

test('a library file swapped for a FIFO is refused by the viewer, the tag browser, the send check and export without blocking', { skip: missingPeers('pydicom test files') }, () => {
  const out = swapAfterIndexing("execFileSync('mkfifo', [path])");
  assert.match(out.bytes, /no longer readable: it is not a regular file/);
  assert.match(out.tags, /not a regular file/);
  assert.match(out.send, /could not be opened: it is not a regular file/);
  assert.match(out.export[0], /not exported: it is not a regular file/);
});

test('a library file swapped for a symbolic link that loops is named a loop by each of them', { skip: missingPeers('pydicom test files') }, () => {
  // ct.dcm → ct2.dcm → ct.dcm: they used to pass on "ELOOP: too many symbolic links encountered".
  const out = swapAfterIndexing("symlinkSync(path + '2', path); symlinkSync(path, path + '2')");
  const loop = /it is a symbolic link that loops/;
  for (const [who, message] of [['viewer', out.bytes], ['tag browser', out.tags], ['send check', out.send], ['export', out.export[0]]]) {
    assert.match(message, loop, who);
    assert.doesNotMatch(message, /ELOOP/, who);
  }
});
