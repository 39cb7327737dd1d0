/**
 * Send with transcoding of the whole codec corpus (test/fixtures/codecCorpus.ts) to DCMTK storescp
 * taking only uncompressed syntaxes (+xe), then only Implicit VR Little Endian (+xi): every file is
 * stored, those the peer cannot take in their own syntax are decompressed (or re-encoded) by
 * `courier send`, and the pixels storescp wrote equal an independent decode, pixel for pixel
 * exactly (lossy syntaxes included: see test/electron/dicomdir/codecs.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { parseSource } from '../../../electron/dicom/transcode.ts';
import { codecCorpus, comparePixels } from '../../fixtures/codecCorpus.ts';
import { runCli, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { startStorescp } from '../dimse/peers.ts';

const missing = missingPeers('storescp', 'dcmcjpls', 'gdcmconv', 'opj_compress', 'ojph_compress');

for (const [flag, accepts] of [
  ['+xe', ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2']],
  ['+xi', ['1.2.840.10008.1.2']],
] as const) {
  test(`courier send of the codec corpus to storescp ${flag}: decompressed where needed, pixels exact`, { skip: missing }, async (t) => {
    const corpus = codecCorpus();
    const tmp = tempDir();
    t.after(tmp.cleanup);
    // The corpus folder also holds sources and references: send only the corpus files (linked, so nothing is copied).
    const folder = join(tmp.path, 'send-me');
    mkdirSync(folder);
    for (const f of corpus.files) symlinkSync(f.file, join(folder, basename(f.file)));
    const scp = await startStorescp(tmp.path, 'STORESCP', [flag]);
    t.after(scp.stop);
    const r = runCli(['send', folder, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], join(tmp.path, 'home'), { timeoutMs: 600_000 });
    const out = JSON.parse(r.stdout) as { instances: { path: string; store: string; message: string; transcodedFrom?: string }[] };
    const byName = new Map(out.instances.map((i) => [basename(i.path), i]));
    const failed = out.instances.filter((i) => i.store !== 'success').map((i) => `${basename(i.path)}: ${i.message}`);
    assert.deepEqual(failed, []);
    assert.equal(r.status, 0, r.stderr);
    for (const f of corpus.files) {
      const i = byName.get(basename(f.file))!;
      const own = (accepts as readonly string[]).includes(f.transferSyntax);
      assert.equal(i.transcodedFrom, own ? undefined : f.transferSyntax, `${f.name}: ${i.message}`);
    }
    // What storescp wrote, by SOP Instance UID, compared with the references.
    const received = new Map<string, string>();
    for (const name of readdirSync(scp.dir)) {
      const path = join(scp.dir, name);
      const src = parseSource(path, readFileSync(path), true);
      assert.ok((accepts as readonly string[]).includes(src.ts), `${name} arrived in ${src.ts}`);
      // Big endian files (sent as they are) are compared through DCMTK: pydicom 2.3 reads 32-bit OW as 32-bit words.
      const le = join(tmp.path, `${name}.le`);
      if (src.ts === '1.2.840.10008.1.2.2') execFileSync('dcmconv', ['+te', path, le]);
      received.set(src.SOPInstanceUID, src.ts === '1.2.840.10008.1.2.2' ? le : path);
    }
    const pairs = corpus.files.map((f) => ({ file: received.get(f.sopInstanceUid) ?? `${f.name} (not received)`, reference: f.reference }));
    const got = comparePixels(pairs);
    const wrong = corpus.files.map((f, i) => `${f.name}: ${got[pairs[i].file]}`).filter((line) => !line.endsWith(': equal'));
    assert.deepEqual(wrong, []);
  });
}
