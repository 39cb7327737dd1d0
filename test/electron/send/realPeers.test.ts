/**
 * The "Done when": `courier send <folder> --to STORESCP@127.0.0.1:<port> --json` against
 * DCMTK `storescp +B +xa` stores every sound file, and each dataset arrives byte-identical to the
 * file's dataset; unsound files fail with a reason. Then Orthanc as a second real peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PYDICOM_TEST_FILES, datasetOf, fixtureFolder, python, runCli, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { startOrthanc, startStorescp } from '../dimse/peers.ts';
import { DatabaseSync } from 'node:sqlite';

/** Every instance stored by the sends in `home` carries the stamp of the bytes read for it (electron/fileStamp.ts), whichever way they were read. */
function assertStamped(home: string): void {
  const db = new DatabaseSync(join(home, 'courier.db'));
  try {
    const rows = db.prepare(`SELECT path, sent_stamp AS stamp FROM send_instances WHERE state IN ('success', 'warning')`).all() as { path: string; stamp: string | null }[];
    assert.ok(rows.length > 0);
    for (const r of rows) assert.match(r.stamp ?? 'none', /^\d+:\d+:\d+:[\d.]+:[\d.]+$/, `${r.path}: stamp ${r.stamp}`);
  } finally {
    db.close();
  }
}

/** Sound files of many kinds: uncompressed LE/BE, deflate, RLE, JPEG, JPEG-LS, JPEG 2000, private tags, RT, SR, waveform. */
const SOUND = [
  'CT_small.dcm', // explicit LE, private tags
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'ExplVR_BigEnd.dcm',
  'rtdose_expb.dcm',
  'image_dfl.dcm', // deflate (odd length: padded with one NUL)
  'MR_small_RLE.dcm',
  'SC_rgb_rle_32bit_2frame.dcm',
  'JPEG-lossy.dcm',
  'JPGExtended.dcm',
  'SC_rgb_jpeg_dcmtk.dcm',
  'MR_small_jpeg_ls_lossless.dcm',
  'JPEG2000.dcm',
  'MR_small_jp2klossless.dcm',
  'rtdose.dcm',
  'rtplan.dcm',
  'test-SR.dcm',
  'reportsi.dcm',
  'waveform_ecg.dcm',
  'liver_1frame.dcm',
  'MR_small_padded.dcm',
];
/** Unsound files and the reason each must fail with. */
const UNSOUND: Record<string, RegExp> = {
  'MR_truncated.dcm': /Truncated/,
  'rtplan_truncated.dcm': /truncated/,
  'SC_rgb_jpeg.dcm': /Declares JPEG Baseline .* but is encoded as Implicit VR Little Endian/,
  'ExplVR_LitEndNoMeta.dcm': /No File Meta Information/,
  'empty_charset_LEI.dcm': /No SOP Class UID/,
  // Explicit UN and private sequences, but no Study Instance UID: a PACS has nowhere to file them.
  'UN_sequence.dcm': /No Study Instance UID \(0020,000D\)/,
  'priv_SQ.dcm': /No Study Instance UID \(0020,000D\)/,
};

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface CliOut {
  transactionUid: string | null;
  instances: { path: string; sopInstanceUid: string; store: string; status: string | null; commit: string; deleted: boolean; message: string }[];
}

test('courier send to storescp +B +xa: every sound file stored, byte-identical', { skip: missingPeers('storescp') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  const dir = fixtureFolder(tmp.path, [...SOUND, ...Object.keys(UNSOUND)]);
  const scp = await startStorescp(tmp.path, 'STORESCP', ['+uf']);
  t.after(scp.stop);

  const r = runCli(['send', dir, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], home);
  assert.equal(r.status, 1, 'exit 1: some files are unsound'); // and they fail, below
  const out = JSON.parse(r.stdout) as CliOut;
  assert.equal(out.transactionUid, null);
  assert.equal(out.instances.length, SOUND.length + Object.keys(UNSOUND).length);
  const byName = new Map(out.instances.map((i) => [i.path.split('/').pop()!, i]));
  for (const name of SOUND) {
    const i = byName.get(name)!;
    assert.equal(i.store, 'success', `${name}: ${i.message}`);
    assert.equal(i.status, '0x0000');
    assert.equal(i.commit, 'not-requested');
    assert.equal(i.deleted, false);
  }
  for (const [name, reason] of Object.entries(UNSOUND)) {
    const i = byName.get(name)!;
    assert.equal(i.store, 'failed', name);
    assert.equal(i.status, null);
    assert.match(i.message, reason, name);
  }

  const received = readdirSync(scp.dir).map((f) => sha(datasetOf(readFileSync(join(scp.dir, f)))));
  assert.equal(received.length, SOUND.length);
  const got = new Set(received);
  for (const name of SOUND) {
    let ds = datasetOf(readFileSync(join(dir, name)));
    if (name === 'image_dfl.dcm' && ds.length % 2) ds = Buffer.concat([ds, Buffer.alloc(1)]); // PS3.5 §A.5 padding
    assert.ok(got.has(sha(ds)), `${name} did not arrive byte-identical`);
  }
  assertStamped(home); // read ahead from the index, checked in full, padded
});

test('a peer that takes only uncompressed syntaxes gets compressed files decompressed, lossy ones flagged (storescp +xe)', { skip: missingPeers('storescp') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  // Distinct SOP Instance UIDs (several pydicom files share one, and storescp names files by it).
  const names = ['MR_small_jpeg_ls_lossless.dcm', 'SC_rgb_rle_32bit_2frame.dcm', 'JPEG2000.dcm', 'JPEG-lossy.dcm'];
  const dir = fixtureFolder(tmp.path, names);
  // +xe after +xa: uncompressed syntaxes only, Explicit VR Little Endian preferred.
  const scp = await startStorescp(tmp.path, 'STORESCP', ['+xe']);
  t.after(scp.stop);
  const r = runCli(['send', dir, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], join(tmp.path, 'home'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assertStamped(join(tmp.path, 'home')); // transcoded: the file's bytes read after the stat that stamps them
  const out = JSON.parse(r.stdout) as { instances: { path: string; store: string; message: string; transcodedFrom?: string }[] };
  const byName = new Map(out.instances.map((i) => [basename(i.path), i]));
  assert.match(byName.get('MR_small_jpeg_ls_lossless.dcm')!.message, /^Success \(decompressed from JPEG-LS Lossless\)$/);
  assert.equal(byName.get('MR_small_jpeg_ls_lossless.dcm')!.transcodedFrom, '1.2.840.10008.1.2.4.80');
  assert.match(byName.get('SC_rgb_rle_32bit_2frame.dcm')!.message, /decompressed from RLE Lossless/);
  assert.match(byName.get('JPEG-lossy.dcm')!.message, /decompressed from JPEG .*lossy original/);

  // What arrived, read by pydicom: uncompressed, whole frames, lossy originals still flagged, and the
  // lossless one's pixels equal to the same image stored uncompressed (MR_small.dcm, same UID).
  const seen = python<Record<string, { ts: string; lossy: string; method: string; bytes: number; expected: number; sameAsMrSmall: boolean | null }>>([
    '-c',
    `
import json, os, sys, pydicom
out = {}
ref = pydicom.dcmread(os.path.join(sys.argv[2], 'MR_small.dcm')).PixelData
for f in os.listdir(sys.argv[1]):
    ds = pydicom.dcmread(os.path.join(sys.argv[1], f))
    expected = ds.Rows * ds.Columns * ds.SamplesPerPixel * (ds.BitsAllocated // 8) * int(getattr(ds, 'NumberOfFrames', 1) or 1)
    out[ds.SOPInstanceUID] = dict(ts=str(ds.file_meta.TransferSyntaxUID), lossy=str(getattr(ds, 'LossyImageCompression', '')),
        method=str(getattr(ds, 'LossyImageCompressionMethod', '')), bytes=len(ds.PixelData), expected=expected,
        sameAsMrSmall=(ds.PixelData == ref) if ds.SOPClassUID.name == 'MR Image Storage' else None)
print(json.dumps(out))
`,
    scp.dir,
    PYDICOM_TEST_FILES,
  ]);
  const rows = Object.values(seen);
  assert.equal(rows.length, names.length);
  for (const x of rows) {
    assert.equal(x.ts, '1.2.840.10008.1.2.1');
    assert.ok(x.bytes === x.expected || x.bytes === x.expected + 1, `pixel data ${x.bytes} bytes for ${x.expected}`);
  }
  assert.deepEqual(rows.filter((x) => x.lossy === '01').map((x) => x.method).sort(), ['ISO_10918_1', 'ISO_15444_1']);
  assert.equal(rows.find((x) => x.sameAsMrSmall !== null)!.sameAsMrSmall, true, 'JPEG-LS lossless decoded equals the uncompressed original');
});

test('a file that changed after it was indexed is checked in full when sent, not trusted', { skip: missingPeers('storescp') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  const dir = fixtureFolder(tmp.path, ['CT_small.dcm', 'JPEG2000.dcm', 'MR_small.dcm']);
  const scp = await startStorescp(tmp.path, 'STORESCP', ['+uf']);
  t.after(scp.stop);
  const send = () => JSON.parse(runCli(['send', dir, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], home).stdout) as CliOut;
  assert.deepEqual(send().instances.map((i) => i.store), ['success', 'success', 'success']);

  // Cut JPEG2000.dcm short after it was indexed, and give it back its old mtime: the size still tells.
  const j2k = join(dir, 'JPEG2000.dcm');
  const { mtime } = statSync(j2k);
  const bytes = readFileSync(j2k);
  writeFileSync(j2k, bytes.subarray(0, bytes.length - 200));
  utimesSync(j2k, mtime, mtime);
  // MR_small.dcm replaced by a file of a SOP class nothing else here has, same size: its mtime tells.
  const mr = join(dir, 'MR_small.dcm');
  const other = Buffer.from(readFileSync(mr));
  // MR Image Storage becomes (retired) Ultrasound Image Storage, a UID of the same length, in the meta header and the dataset.
  for (let at = other.indexOf('1.2.840.10008.5.1.4.1.1.4'); at >= 0; at = other.indexOf('1.2.840.10008.5.1.4.1.1.4', at + 1)) other.write('1.2.840.10008.5.1.4.1.1.6', at, 'latin1');
  writeFileSync(mr, other);
  utimesSync(mr, new Date(mtime.getTime() + 5000), new Date(mtime.getTime() + 5000));
  // CT_small.dcm, the association's first store, only touched: checked in full, and still sent.
  const ct = join(dir, 'CT_small.dcm');
  utimesSync(ct, new Date(mtime.getTime() + 5000), new Date(mtime.getTime() + 5000));

  const byName = new Map(send().instances.map((i) => [i.path.split('/').pop()!, i]));
  assert.equal(byName.get('CT_small.dcm')!.store, 'success');
  assert.equal(byName.get('JPEG2000.dcm')!.store, 'failed');
  assert.match(byName.get('JPEG2000.dcm')!.message, /Truncated|no sequence delimiter/);
  assert.equal(byName.get('MR_small.dcm')!.store, 'failed');
  assert.match(byName.get('MR_small.dcm')!.message, /changed since it was queued/);
});

test('courier send queues what the library indexed: not-DICOM files in a folder are left out, a named one fails with why, nothing goes twice, a new file is indexed first', { skip: missingPeers('storescp') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  const dir = fixtureFolder(tmp.path, ['CT_small.dcm', 'MR_small.dcm']);
  writeFileSync(join(dir, 'README.txt'), 'Not DICOM: left out of a folder, refused by name.\n');
  const scp = await startStorescp(tmp.path, 'STORESCP', ['+uf']);
  t.after(scp.stop);
  const send = (...paths: string[]) => {
    const r = runCli(['send', ...paths, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], home);
    return { status: r.status, instances: (JSON.parse(r.stdout) as CliOut).instances };
  };
  const names = (xs: { path: string }[]) => xs.map((i) => basename(i.path));

  // The folder, and one of its files named again: each instance goes once, in path order.
  let r = send(dir, join(dir, 'CT_small.dcm'));
  assert.equal(r.status, 0);
  assert.deepEqual(names(r.instances), ['CT_small.dcm', 'MR_small.dcm']);
  assert.ok(r.instances.every((i) => i.store === 'success'));

  // Named on its own, a file that is not DICOM is queued, and fails with the reason.
  r = send(join(dir, 'README.txt'));
  assert.equal(r.status, 1);
  assert.deepEqual(names(r.instances), ['README.txt']);
  assert.equal(r.instances[0].store, 'failed');
  assert.match(r.instances[0].message, /DICOM|Preamble|DICM/i);

  // A file added after the folder was indexed: the folder is indexed again, and the file goes too.
  copyFileSync(join(PYDICOM_TEST_FILES, 'rtplan.dcm'), join(dir, 'rtplan.dcm'));
  r = send(dir);
  assert.equal(r.status, 0);
  assert.deepEqual(names(r.instances), ['CT_small.dcm', 'MR_small.dcm', 'rtplan.dcm']);
  assert.ok(r.instances.every((i) => i.store === 'success'));
  assert.equal(readdirSync(scp.dir).length, 2 + 3, 'storescp received two instances, then three (+uf: a file per store)');
});

test('courier send to Orthanc: every instance stored in its own transfer syntax', { skip: missingPeers('Orthanc') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  // Distinct SOP Instance UIDs (Orthanc keeps the first of duplicates).
  const names = ['CT_small.dcm', 'MR_small_bigendian.dcm', 'SC_rgb_rle.dcm', 'JPEG2000.dcm', 'JPEG-lossy.dcm', 'rtplan.dcm', 'rtdose.dcm', 'test-SR.dcm', 'liver_1frame.dcm'];
  const dir = fixtureFolder(tmp.path, names);
  const orthanc = await startOrthanc(tmp.path);
  t.after(orthanc.stop);
  const r = runCli(['send', dir, '--to', `ORTHANC@127.0.0.1:${orthanc.port}`, '--json'], home);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as CliOut;
  assert.deepEqual(out.instances.map((i) => i.store), names.map(() => 'success'));
  const api = async (path: string) => (await fetch(`http://127.0.0.1:${orthanc.httpPort}${path}`)).json();
  const ids = (await api('/instances')) as string[];
  assert.equal(ids.length, names.length);
  // Orthanc stores through DCMTK and may rewrite undefined-length sequences with explicit lengths, so
  // here we check identity and transfer syntax; storescp +B above checks the bytes on the wire.
  const stored = new Map<string, string>();
  for (const id of ids) {
    const tags = (await api(`/instances/${id}/simplified-tags`)) as { SOPInstanceUID: string };
    stored.set(tags.SOPInstanceUID, String(await (await fetch(`http://127.0.0.1:${orthanc.httpPort}/instances/${id}/metadata/TransferSyntax`)).text()));
  }
  for (const i of out.instances) {
    const meta = readFileSync(i.path);
    assert.ok(stored.has(i.sopInstanceUid), `${i.path} missing in Orthanc`);
    assert.ok(meta.includes(Buffer.from(stored.get(i.sopInstanceUid)!)), `${i.path}: Orthanc stored another transfer syntax (${stored.get(i.sopInstanceUid)})`);
  }
});
