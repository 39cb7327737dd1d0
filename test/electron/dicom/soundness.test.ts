/**
 * The "is this file sound" check (electron/dicom/soundness.ts) proves that every element fits in the
 * file, in every transfer syntax: files DCMTK wrote from pydicom's CT_small.dcm in Implicit VR LE,
 * Explicit VR LE and Explicit VR BE (dcmconv), JPEG-LS (dcmcjpls) and RLE (dcmcrle), each cut in the
 * middle of its header, cut at an element boundary just before Pixel Data, with Patient's Name
 * declaring more bytes than the file has, and cut inside its pixels; and in Deflated Explicit VR LE
 * (dcmconv +td), cut inside its deflate stream and just before its end.
 * dicom-parser reads the implicit ones without complaint; before this check they were indexed as
 * sendable and `courier send --commit --delete-after-commit` sent, committed and deleted them (so
 * were the cut deflated ones, whose header inflates whole).
 * A file lacking Study or Series Instance UID is refused too (a PACS cannot file it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFileSet } from '../../../electron/dicomdir/fileset.ts';
import { examineFile } from '../../../electron/library/examine.ts';
import { preflight } from '../../../electron/send/preflight.ts';
import { freePort, PYDICOM_TEST_FILES, python, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { runCliAsync } from '../commit/net.ts';
import { spawnPacs } from '../pacs/cli.ts';

/** Each syntax: the DCMTK command that writes CT_small in it. */
const SYNTAXES: Record<string, string[]> = {
  implicit: ['dcmconv', '+ti'],
  explicit: ['dcmconv', '+te'],
  bigendian: ['dcmconv', '+tb'],
  jpegls: ['dcmcjpls'],
  rle: ['dcmcrle'],
  deflated: ['dcmconv', '+td'],
};
const BROKEN: Record<string, RegExp> = {
  cut_mid: /ends in the middle of an element|ends inside a sequence or item|declares \d+ bytes but the file ends/,
  cut_before_pixels: /ends before its Pixel Data/,
  long_element: /ends in the middle of an element|element \(0010,0010\) declares 2147483632 bytes/,
  cut_in_pixels: /Truncated: Pixel Data needs 32768 bytes|Truncated: a Pixel Data fragment runs past the end of the file|The deflated dataset ends early: the file is truncated/,
  cut_at_end: /The deflated dataset ends early: the file is truncated/,
};

/** Writes CT_small in each syntax (DCMTK) and its broken variants into `dir`; returns the file names. Every file is its
 * own instance (a new SOP Instance UID each, by dcmodify): a broken copy sharing the sound one's UID would be a
 * differing copy of it, which keeps the sound one from being deleted after its commitment. */
function makeFiles(dir: string): string[] {
  const names: string[] = [];
  for (const [name, [command, ...flags]] of Object.entries(SYNTAXES)) {
    const whole = join(dir, `${name}.dcm`);
    execFileSync(command, [...flags, join(PYDICOM_TEST_FILES, 'CT_small.dcm'), whole]);
    const fresh = () => {
      execFileSync('dcmodify', ['-nb', '-gin', whole]);
      return readFileSync(whole);
    };
    const write = (variant: string, bytes: Buffer) => {
      writeFileSync(join(dir, `${name}_${variant}.dcm`), bytes);
      names.push(`${name}_${variant}.dcm`);
    };
    // Half-way into the pixels (CT_small's 32,768 bytes, or their compressed fragments, fill most of the file).
    const cut = fresh();
    write('cut_in_pixels', cut.subarray(0, Math.round(cut.length * 0.75)));
    if (name === 'deflated') {
      // Its elements are inside the deflate stream: it is cut there, and just before the stream's end.
      const end = fresh();
      write('cut_at_end', end.subarray(0, end.length - 4));
    } else {
      const le = name !== 'bigendian';
      const pixelTag = Buffer.from(le ? [0xe0, 0x7f, 0x10, 0x00] : [0x7f, 0xe0, 0x00, 0x10]);
      const mid = fresh();
      write('cut_mid', mid.subarray(0, mid.indexOf(pixelTag, 132) - 3));
      const before = fresh();
      write('cut_before_pixels', before.subarray(0, before.indexOf(pixelTag, 132)));
      const long = Buffer.from(fresh());
      const at = long.indexOf(Buffer.from(le ? [0x10, 0x00, 0x10, 0x00] : [0x00, 0x10, 0x00, 0x10]), 132 + 100);
      if (name === 'implicit') long.writeUInt32LE(0x7ffffff0, at + 4);
      else if (le) long.writeUInt16LE(0xfff0, at + 6);
      else long.writeUInt16BE(0xfff0, at + 6);
      write('long_element', long);
    }
    // The sound one, last: an instance of its own too.
    fresh();
    names.push(`${name}.dcm`);
  }
  return names;
}

const needs = missingPeers('dcmconv', 'dcmcjpls', 'dcmodify', 'pydicom test files');

test('every element must fit in the file, in every transfer syntax: send check and index agree', { skip: needs }, (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  for (const name of makeFiles(dir.path)) {
    const path = join(dir.path, name);
    const sent = preflight(path);
    const indexed = examineFile(path);
    const broken = Object.entries(BROKEN).find(([k]) => name.includes(k));
    if (!broken) {
      assert.ok(sent.ok, `${name}: ${!sent.ok && sent.reason}`);
      assert.equal(indexed.kind === 'instance' && indexed.record.sendProblem, null, name);
      continue;
    }
    assert.equal(sent.ok, false, `${name} passed the send check`);
    assert.match(!sent.ok ? sent.reason : '', broken[1], name);
    // The index either refuses the file or records why it cannot be sent: never "sendable".
    if (indexed.kind === 'instance') assert.ok(indexed.record.sendProblem, `${name} indexed as sendable`);
    else assert.equal(indexed.kind, 'error', name);
  }
});

test('a file without Study or Series Instance UID is not sent or exported, with the reason', { skip: missingPeers('pydicom test files') }, async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  python([
    '-c',
    `import pydicom, sys
for keyword, name in (("StudyInstanceUID", "nostudy.dcm"), ("SeriesInstanceUID", "noseries.dcm")):
    ds = pydicom.dcmread(sys.argv[1])
    delattr(ds, keyword)
    ds.save_as(sys.argv[2] + "/" + name)
print("[]")`,
    join(PYDICOM_TEST_FILES, 'CT_small.dcm'),
    dir.path,
  ]);
  const study = preflight(join(dir.path, 'nostudy.dcm'));
  const series = preflight(join(dir.path, 'noseries.dcm'));
  assert.match(!study.ok ? study.reason : 'sent', /No Study Instance UID \(0020,000D\)/);
  assert.match(!series.ok ? series.reason : 'sent', /No Series Instance UID \(0020,000E\)/);
  const exported = await buildFileSet([join(dir.path, 'nostudy.dcm'), join(dir.path, 'noseries.dcm'), join(PYDICOM_TEST_FILES, 'CT_small.dcm')], { out: join(dir.path, 'out') });
  assert.equal(exported.instances, 1);
  for (const name of ['nostudy.dcm', 'noseries.dcm']) {
    assert.match(exported.errors.find((e) => e.path.endsWith(name))?.message ?? `${name} exported`, /no Study or Series Instance UID, so it has no place in a file-set/);
  }
});

test('courier send --commit --delete-after-commit: unsound files are not sent, committed or deleted', { skip: needs }, async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const study = join(dir.path, 'study');
  mkdirSync(study);
  const names = makeFiles(study);
  const listen = await freePort();
  const pacs = await spawnPacs(['--port', '0', '--ae', 'PACS', '--dir', join(dir.path, 'pacs'), '--commit-delivery', 'same'], join(dir.path, 'pacs-home'));
  t.after(() => pacs.stop());
  const r = await runCliAsync(
    ['send', study, '--to', `PACS@127.0.0.1:${pacs.port}`, '--ae', 'COURIER', '--commit', '--listen', String(listen), '--commit-timeout', '12', '--delete-after-commit', '--json'],
    join(dir.path, 'home'),
  );
  assert.ok(r.stdout.trim(), r.stderr);
  const out = JSON.parse(r.stdout) as { instances: { path: string; store: string; commit: string; deleted: boolean; message?: string }[] };
  const byName = new Map(out.instances.map((i) => [i.path.split('/').pop()!, i]));
  for (const name of names) {
    const i = byName.get(name)!;
    const broken = Object.entries(BROKEN).find(([k]) => name.includes(k));
    if (!broken) {
      // The sound one of each syntax: sent, committed, deleted.
      assert.equal(i.store, 'success', `${name}: ${i.message}`);
      assert.equal(i.deleted, true, name);
      continue;
    }
    assert.equal(i.store, 'failed', name);
    assert.match(i.message ?? '', broken[1], name);
    assert.notEqual(i.commit, 'committed', name);
    assert.equal(i.deleted, false, name);
    assert.ok(existsSync(join(study, name)), `${name} was deleted`);
  }
});
