/**
 * `courier dicomdir` on pydicom's test files of many kinds, checked by independent readers:
 * dicom3tools' dciodvfy, DCMTK's dcmdump, pydicom's FileSet (and its pixel decoders), DCMTK's
 * dcmdjpeg for JPEG references, and Courier's own indexer.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildFileSet } from '../../../electron/dicomdir/fileset.ts';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices } from '../../../electron/services.ts';
import { PYDICOM_CHARSET_FILES, PYDICOM_TEST_FILES, python, runCli, tempDir } from '../../helpers.ts';
import { hasPeers, missingPeers, peer } from '../../peers.ts';

const HERE = 'test/electron/dicomdir';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** pydicom files: name → how the export must treat it. */
const CORPUS: Record<string, { record: string; reference?: 'self' | 'MR_small' | 'dcmdjpeg'; lossy?: boolean; photometric?: string }> = {
  'CT_small.dcm': { record: 'IMAGE', reference: 'self' },
  'MR_small.dcm': { record: 'IMAGE', reference: 'self' },
  'MR_small_RLE.dcm': { record: 'IMAGE', reference: 'self' },
  'MR_small_jpeg_ls_lossless.dcm': { record: 'IMAGE', reference: 'MR_small' },
  'MR_small_jp2klossless.dcm': { record: 'IMAGE', reference: 'MR_small' },
  'MR_small_bigendian.dcm': { record: 'IMAGE', reference: 'self' },
  'MR_small_implicit.dcm': { record: 'IMAGE', reference: 'self' },
  'JPEG-lossy.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true },
  'JPGExtended.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true },
  'SC_rgb_jpeg_dcmtk.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  'SC_rgb_small_odd_jpeg.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  'SC_rgb_jpeg_gdcm.dcm': { record: 'IMAGE', reference: 'dcmdjpeg' },
  'SC_rgb_dcmtk_+eb+cy+s2.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  'SC_rgb_dcmtk_+eb+cy+np.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  // Declared RGB, stored without colour transform: decoded as stored (PS3.5 §8.2.1), like dcmdjpeg.
  'SC_jpeg_no_color_transform.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  'SC_jpeg_no_color_transform_2.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  'SC_rgb_jpeg_lossy_gdcm.dcm': { record: 'IMAGE', reference: 'dcmdjpeg', lossy: true, photometric: 'RGB' },
  'SC_rgb_rle.dcm': { record: 'IMAGE', reference: 'self' },
  'SC_rgb_rle_16bit_2frame.dcm': { record: 'IMAGE', reference: 'self' },
  'JPEG2000.dcm': { record: 'IMAGE', lossy: true },
  'image_dfl.dcm': { record: 'IMAGE', reference: 'self' },
  'rtplan.dcm': { record: 'RT PLAN' },
  'rtstruct.dcm': { record: 'RT STRUCTURE SET' },
  'rtdose.dcm': { record: 'RT DOSE', reference: 'self' },
  'test-SR.dcm': { record: 'SR DOCUMENT' },
  'reportsi.dcm': { record: 'SR DOCUMENT' },
  'waveform_ecg.dcm': { record: 'WAVEFORM' },
  'synthetic:GSPS': { record: 'PRESENTATION' },
  'synthetic:KO': { record: 'KEY OBJECT DOC' },
  'synthetic:PDF': { record: 'ENCAP DOC' },
};

interface Manifest {
  [name: string]: { sop: string; ts: string; source: string };
}
interface Checked {
  fileSetId: string;
  instances: { path: string; sop: string; recordSop: string; recordType: string; sopClass: string; ts: string; recordTs: string; photometric: string; lossy: string }[];
  pixels: Record<string, string>;
}
interface CliResult {
  dicomdir: string;
  profile: string;
  instances: number;
  transcoded: number;
  errors: { path: string; message: string }[];
  filled: { record: string; key: string; value: string; path: string }[];
  iso?: string;
}

describe('courier dicomdir (STD-GEN-CD) on pydicom test files', { skip: missingPeers('pydicom test files') }, () => {
  const tmp = tempDir('courier-dicomdir-');
  const corpus = join(tmp.path, 'corpus');
  const refs = join(tmp.path, 'refs');
  const out = join(tmp.path, 'media');
  let manifest: Manifest;
  let result: CliResult;
  let checked: Checked;

  before(() => {
    mkdirSync(corpus);
    mkdirSync(refs);
    manifest = python<Manifest>([join(HERE, 'make_corpus.py'), corpus, ...Object.keys(CORPUS)]);
    // References for pixel comparison: files pydicom can decode by itself.
    const pairs: { sop: string; reference: string }[] = [];
    for (const [name, spec] of Object.entries(CORPUS)) {
      let reference: string | null = null;
      if (spec.reference === 'self') reference = join(corpus, name);
      else if (spec.reference === 'MR_small') reference = join(corpus, 'MR_small.dcm');
      else if (spec.reference === 'dcmdjpeg' && peer('dcmdjpeg').available) {
        reference = join(refs, name);
        execFileSync('dcmdjpeg', [join(corpus, name), reference], { stdio: 'ignore' });
      }
      if (reference) pairs.push({ sop: manifest[name].sop, reference });
    }
    writeFileSync(join(tmp.path, 'pairs.json'), JSON.stringify(pairs));
    const r = runCli(['dicomdir', corpus, '--out', out, '--profile', 'STD-GEN-CD', '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 0, r.stderr);
    result = JSON.parse(r.stdout) as CliResult;
    checked = python<Checked>([join(HERE, 'check_fileset.py'), join(out, 'DICOMDIR'), join(tmp.path, 'pairs.json')]);
  });
  after(() => tmp.cleanup());

  test('reports every instance, the transcoded count and no errors', () => {
    assert.equal(result.dicomdir, join(out, 'DICOMDIR'));
    assert.equal(result.profile, 'STD-GEN-CD');
    assert.deepEqual(result.errors, []);
    assert.equal(result.instances, Object.keys(CORPUS).length);
    const notExplicit = Object.values(manifest).filter((m) => m.ts !== EXPLICIT_LE).length;
    assert.equal(result.transcoded, notExplicit);
    // Keys a source lacked are filled and reported (e.g. reportsi.dcm has no Patient ID).
    assert.ok(result.filled.some((f) => f.record === 'PATIENT' && f.key === 'Patient ID' && f.path.endsWith('reportsi.dcm')));
  });

  test('dciodvfy reports no errors on the DICOMDIR', { skip: missingPeers('dciodvfy') }, () => {
    const r = spawnSync('dciodvfy', [join(out, 'DICOMDIR')], { encoding: 'utf8' });
    const text = r.stdout + r.stderr;
    assert.match(text, /BasicDirectory/);
    assert.deepEqual(text.split('\n').filter((l) => /^Error/.test(l)), []);
  });

  test('dcmdump reads the DICOMDIR and every file', { skip: missingPeers('dcmdump') }, () => {
    const files = walk(join(out, 'DICOM'));
    assert.equal(files.length, result.instances);
    for (const f of [join(out, 'DICOMDIR'), ...files]) {
      const r = spawnSync('dcmdump', ['-q', '+E', f], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /E:/, f);
    }
  });

  test("pydicom's FileSet reaches every file, SOP Instance UIDs match, all Explicit VR LE", () => {
    assert.equal(checked.fileSetId, 'COURIER');
    assert.equal(checked.instances.length, Object.keys(CORPUS).length);
    const sops = new Set(checked.instances.map((i) => i.sop));
    for (const [name, m] of Object.entries(manifest)) assert.ok(sops.has(m.sop), `${name} is missing`);
    for (const i of checked.instances) {
      assert.equal(i.recordSop, i.sop);
      assert.equal(i.ts, EXPLICIT_LE, i.path);
      assert.equal(i.recordTs, EXPLICIT_LE, i.path);
    }
  });

  test('each object gets the record type of its SOP class', () => {
    const bySop = new Map(checked.instances.map((i) => [i.sop, i]));
    for (const [name, spec] of Object.entries(CORPUS)) assert.equal(bySop.get(manifest[name].sop)?.recordType, spec.record, name);
  });

  test('decompressed and re-encoded pixels equal the reference decoders', (t) => {
    const withDcmdjpeg = hasPeers(t, 'dcmdjpeg');
    for (const [name, spec] of Object.entries(CORPUS)) {
      if (!spec.reference || (spec.reference === 'dcmdjpeg' && !withDcmdjpeg)) continue;
      assert.equal(checked.pixels[manifest[name].sop], 'equal', name);
    }
  });

  test('a lossy original keeps Lossy Image Compression 01; YBR JPEG becomes RGB', () => {
    const bySop = new Map(checked.instances.map((i) => [i.sop, i]));
    for (const [name, spec] of Object.entries(CORPUS)) {
      const i = bySop.get(manifest[name].sop)!;
      if (spec.lossy) assert.equal(i.lossy, '01', name);
      if (spec.photometric) assert.equal(i.photometric, spec.photometric, name);
    }
  });

  test('File IDs conform to PS3.10 §8.2 and the root holds only DICOMDIR, README.TXT, INDEX.HTM and DICOM', () => {
    assert.deepEqual(readdirSync(out).sort(), ['DICOM', 'DICOMDIR', 'INDEX.HTM', 'README.TXT']);
    for (const f of walk(join(out, 'DICOM'))) {
      const parts = relative(out, f).split('/');
      assert.ok(parts.length <= 8, f);
      for (const p of parts) assert.match(p, /^[A-Z0-9_]{1,8}$/, f);
    }
    const readme = readFileSync(join(out, 'README.TXT'), 'latin1');
    assert.match(readme, /Courier/);
    assert.match(readme, new RegExp(`${Object.keys(CORPUS).length} DICOM instances`));
    assert.match(readFileSync(join(out, 'INDEX.HTM'), 'utf8'), /<table>/);
  });

  test("Courier's library indexes the export back to the same instances", async () => {
    const home = join(tmp.path, 'home-reindex');
    mkdirSync(home);
    const services = createServices(home);
    try {
      const summary = await indexPath(services.db, services.library, out);
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.instances, Object.keys(CORPUS).length);
      const sops = new Set<string>();
      for (const p of services.library.patients())
        for (const st of services.library.studies(p.id))
          for (const se of services.library.series(st.id)) for (const i of services.library.instances(se.id)) sops.add(i.SOPInstanceUID);
      assert.deepEqual([...sops].sort(), Object.values(manifest).map((m) => m.sop).sort());
    } finally {
      await services.close();
    }
  });

  test('the same folder is deterministic: same File IDs for the same instances', () => {
    const again = join(tmp.path, 'media2');
    const r = runCli(['dicomdir', corpus, '--out', again, '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 0, r.stderr);
    const a = walk(join(out, 'DICOM')).map((f) => relative(out, f));
    const b = walk(join(again, 'DICOM')).map((f) => relative(again, f));
    assert.deepEqual(a, b);
    for (const f of a) assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(again, f)), f);
  });
});

describe('courier dicomdir with a compressed profile, an ISO image, and bad input', { skip: missingPeers('pydicom test files') }, () => {
  const tmp = tempDir('courier-dicomdir-');
  after(() => tmp.cleanup());

  test('STD-GEN-DVD-JPEG keeps JPEG files as they are and decompresses the rest', (t) => {
    const corpus = join(tmp.path, 'jpeg');
    mkdirSync(corpus);
    const names = ['SC_rgb_jpeg_dcmtk.dcm', 'JPEG-lossy.dcm', 'SC_rgb_jpeg_gdcm.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_RLE.dcm'];
    const manifest = python<Manifest>([join(HERE, 'make_corpus.py'), corpus, ...names]);
    const out = join(tmp.path, 'jpeg-media');
    const r = runCli(['dicomdir', corpus, '--out', out, '--profile', 'STD-GEN-DVD-JPEG', '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as CliResult;
    assert.equal(res.profile, 'STD-GEN-DVD-JPEG');
    assert.equal(res.instances, names.length);
    assert.equal(res.transcoded, 2);
    writeFileSync(join(tmp.path, 'none.json'), '[]');
    const checked = python<Checked>([join(HERE, 'check_fileset.py'), join(out, 'DICOMDIR'), join(tmp.path, 'none.json')]);
    const bySop = new Map(checked.instances.map((i) => [i.sop, i]));
    for (const name of names) {
      const i = bySop.get(manifest[name].sop)!;
      const keep = manifest[name].ts.startsWith('1.2.840.10008.1.2.4.5') || manifest[name].ts.startsWith('1.2.840.10008.1.2.4.7');
      assert.equal(i.ts, keep ? manifest[name].ts : EXPLICIT_LE, name);
      assert.equal(i.recordTs, i.ts, name);
    }
    if (hasPeers(t, 'dciodvfy')) {
      const v = spawnSync('dciodvfy', [join(out, 'DICOMDIR')], { encoding: 'utf8' });
      assert.deepEqual((v.stdout + v.stderr).split('\n').filter((l) => /^Error/.test(l)), []);
    }
  });

  test('--iso writes an ISO 9660 image holding the file-set', { skip: missingPeers('xorriso') }, () => {
    const corpus = join(tmp.path, 'iso-in');
    mkdirSync(corpus);
    python<Manifest>([join(HERE, 'make_corpus.py'), corpus, 'CT_small.dcm', 'rtplan.dcm']);
    const out = join(tmp.path, 'iso-media');
    const iso = join(tmp.path, 'media.iso');
    const r = runCli(['dicomdir', corpus, '--out', out, '--iso', iso, '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as CliResult;
    assert.equal(res.iso, iso);
    const ls = spawnSync('xorriso', ['-indev', iso, '-find', '/', '-type', 'f'], { encoding: 'utf8' });
    assert.match(ls.stdout, /DICOMDIR/);
    assert.match(ls.stdout, /README\.TXT/);
    assert.match(ls.stdout, /DICOM\/PAT00001\/STU00001\/SER00001\/IM000001/);
    // An existing ISO is never overwritten.
    const again = runCli(['dicomdir', corpus, '--out', join(tmp.path, 'iso-media2'), '--iso', iso, '--json'], join(tmp.path, 'home'));
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already exists/);
  });

  test('a non-empty target folder is refused and left untouched; an empty one is used', () => {
    const corpus = join(tmp.path, 'small');
    mkdirSync(corpus);
    python<Manifest>([join(HERE, 'make_corpus.py'), corpus, 'CT_small.dcm']);
    const target = join(tmp.path, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'mine.txt'), 'keep me');
    const r = runCli(['dicomdir', corpus, '--out', target, '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not empty/);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'CONFLICT');
    assert.deepEqual(readdirSync(target), ['mine.txt']);
    assert.equal(readFileSync(join(target, 'mine.txt'), 'utf8'), 'keep me');

    const file = join(tmp.path, 'a-file');
    writeFileSync(file, 'data');
    const f = runCli(['dicomdir', corpus, '--out', file], join(tmp.path, 'home'));
    assert.equal(f.status, 1);
    assert.equal(readFileSync(file, 'utf8'), 'data');

    const empty = join(tmp.path, 'empty');
    mkdirSync(empty);
    const e = runCli(['dicomdir', corpus, '--out', empty, '--json'], join(tmp.path, 'home'));
    assert.equal(e.status, 0, e.stderr);
    assert.ok(statSync(join(empty, 'DICOMDIR')).isFile());
    // No temporary folder is left beside the target.
    assert.deepEqual(readdirSync(tmp.path).filter((n) => n.includes('courier-')), []);
  });

  test('every pydicom test and charset file: bad ones listed, the file-set still valid for dciodvfy and pydicom', (t) => {
    const out = join(tmp.path, 'everything');
    const r = runCli(['dicomdir', PYDICOM_TEST_FILES, PYDICOM_CHARSET_FILES, '--out', out, '--json'], join(tmp.path, 'home-all'));
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as CliResult;
    assert.ok(res.instances > 100, String(res.instances));
    for (const e of res.errors) assert.match(e.message, /^not exported: ./);
    // Old ACR-NEMA dates (1997.04.24) are written as DA and reported.
    assert.ok(res.filled.some((f) => f.key === 'Study Date' && /^\d{8}$/.test(f.value)));
    if (hasPeers(t, 'dciodvfy')) {
      const v = spawnSync('dciodvfy', [join(out, 'DICOMDIR')], { encoding: 'utf8' });
      assert.deepEqual((v.stdout + v.stderr).split('\n').filter((l) => /^Error/.test(l)), []);
    }
    writeFileSync(join(tmp.path, 'none.json'), '[]');
    const checked = python<Checked>([join(HERE, 'check_fileset.py'), join(out, 'DICOMDIR'), join(tmp.path, 'none.json')]);
    assert.equal(checked.instances.length, res.instances);
    for (const i of checked.instances) {
      assert.equal(i.recordSop, i.sop);
      assert.equal(i.ts, EXPLICIT_LE, i.path);
    }
  });

  test('unreadable and undecodable files are listed with a reason; the rest is exported', () => {
    const corpus = join(tmp.path, 'bad');
    mkdirSync(corpus);
    python<Manifest>([join(HERE, 'make_corpus.py'), corpus, 'CT_small.dcm']);
    const truncated = readFileSync(join(PYDICOM_TEST_FILES, 'MR_small.dcm'));
    writeFileSync(join(corpus, 'cut.dcm'), truncated.subarray(0, truncated.length - 3000));
    writeFileSync(join(corpus, 'j2k.dcm'), readFileSync(join(PYDICOM_TEST_FILES, 'JPEG2000-embedded-sequence-delimiter.dcm')));
    const out = join(tmp.path, 'bad-media');
    const r = runCli(['dicomdir', corpus, '--out', out, '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as CliResult;
    assert.equal(res.instances, 1);
    const paths = res.errors.map((e) => e.path).sort();
    assert.deepEqual(paths, [join(corpus, 'cut.dcm'), join(corpus, 'j2k.dcm')]);
    for (const e of res.errors) assert.match(e.message, /^not exported: /);
    assert.match(res.errors.find((e) => e.path.endsWith('j2k.dcm'))!.message, /JPEG 2000/);
  });

  test('a folder is read where it is: non-DICOM files and DICOMDIRs passed over quietly, the library left alone', () => {
    const corpus = join(tmp.path, 'mixed');
    mkdirSync(join(corpus, 'old-cd'), { recursive: true });
    python<Manifest>([join(HERE, 'make_corpus.py'), corpus, 'CT_small.dcm', 'MR_small.dcm']);
    writeFileSync(join(corpus, 'README.txt'), 'Patient CD, burnt by a viewer that also left an autorun file.\n');
    writeFileSync(join(corpus, 'AUTORUN.INF'), '[autorun]\nopen=viewer.exe\n');
    // A DICOMDIR from another file-set, in a subfolder without its files: not an instance to export.
    writeFileSync(join(corpus, 'old-cd', 'DICOMDIR'), readFileSync(join(PYDICOM_TEST_FILES, 'dicomdirtests', 'DICOMDIR')));
    writeFileSync(join(corpus, 'old-cd', 'DICOMDIR-copy'), readFileSync(join(PYDICOM_TEST_FILES, 'dicomdirtests', 'DICOMDIR')));
    const home = join(tmp.path, 'home-mixed');
    const r = runCli(['dicomdir', corpus, '--out', join(tmp.path, 'mixed-media'), '--json'], home);
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as CliResult & { skipped: number };
    assert.equal(res.instances, 2);
    assert.deepEqual(res.errors, []);
    // README.txt, AUTORUN.INF and DICOMDIR-copy (found by its SOP class); DICOMDIR itself is left out by name.
    assert.equal(res.skipped, 3);
    assert.equal(existsSync(home), false, 'the export did not create or change a library');
    const none = runCli(['dicomdir', join(corpus, 'old-cd'), '--out', join(tmp.path, 'nothing'), '--json'], home);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /nothing to export/);
  });
});

test('files from the library that are not DICOM any more are errors, not silently left out', async () => {
  const tmp = tempDir();
  try {
    const good = join(tmp.path, 'good.dcm');
    const bad = join(tmp.path, 'bad.dcm');
    writeFileSync(good, readFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm')));
    writeFileSync(bad, 'overwritten by a text editor\n');
    const strict = await buildFileSet([good, bad], { out: join(tmp.path, 'strict') });
    assert.equal(strict.instances, 1);
    assert.equal(strict.skipped, 0);
    assert.deepEqual(strict.errors.map((e) => e.path), [bad]);
    assert.match(strict.errors[0].message, /not DICOM now/);
    const lenient = await buildFileSet([good, bad], { out: join(tmp.path, 'lenient'), passOverNonDicom: true });
    assert.equal(lenient.instances, 1);
    assert.equal(lenient.skipped, 1);
    assert.deepEqual(lenient.errors, []);
  } finally {
    tmp.cleanup();
  }
});

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

