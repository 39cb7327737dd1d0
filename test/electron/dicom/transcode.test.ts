/**
 * The guard every transcode passes (electron/dicom/transcode.ts): a decoded frame, and the native
 * Pixel Data written, must be exactly the size the attributes require, else nothing is written and
 * the reason is given — for export and for send alike. Files from the codec corpus (DCMTK, GDCM,
 * OpenJPEG) whose Rows or Columns DCMTK's dcmodify then changed, so attributes and pixels disagree:
 * dcmjs-codecs decoded the RLE and JPEG-LS ones into buffers of the attributes' size without a word.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFileSet } from '../../../electron/dicomdir/fileset.ts';
import { ascii, IMPLICIT_VR_LE, readDataset, T } from '../../../electron/dicom/dataset.ts';
import { parseSource, transcodeDataset } from '../../../electron/dicom/transcode.ts';
import { codecCorpus } from '../../fixtures/codecCorpus.ts';
import { python, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';

const missing = missingPeers('dcmodify', 'dcmcjpls', 'gdcmconv', 'opj_compress', 'ojph_compress');

/** Corpus file → copy with `attribute` set to `value`, and the reason export and send must give. */
const CASES: [string, string, string, RegExp][] = [
  ['grey16u.rle.dcmtk', 'Rows', '22', /RLE Lossless pixel data could not be decompressed exactly, so nothing is written: frame 1: RLE segment 1 decodes to 693 bytes; 22 × 33 pixels need 726/],
  ['grey16u.j2k.gdcm', 'Columns', '32', /JPEG 2000 \(Lossless Only\) pixel data could not be decompressed exactly.*the codestream is 33 × 21 with 1 component; the attributes say 32 × 21/],
  ['rgb8.jpegls-ilv0.dcmtk', 'Rows', '20', /JPEG-LS Lossless pixel data could not be decompressed exactly.*frame 1: the codestream is 33 × 21 with 3 components; the attributes say 33 × 20/],
  ['grey16u.implicit.dcmtk', 'Rows', '22', /Not written, the pixels would not be what the attributes say: the Pixel Data holds 1386 bytes but 1 frame of 22 × 33 × 1 samples of 16 bits need 1452/],
  ['bit1.j2k.openjpeg', 'Rows', '12', /JPEG 2000 \(Lossless Only\) pixel data could not be decompressed exactly.*frame 1: the codestream is 21 × 13 with 1 component; the attributes say 21 × 12/],
];

test('a transcode whose pixels do not fit the attributes is refused with the reason, never written', { skip: missing }, async (t) => {
  const corpus = codecCorpus();
  const dir = tempDir();
  t.after(dir.cleanup);
  const files: string[] = [];
  for (const [name, attribute, value] of CASES) {
    const f = corpus.files.find((c) => c.name === name)!;
    const path = join(dir.path, `${name}.dcm`);
    copyFileSync(f.file, path);
    execFileSync('dcmodify', ['-nb', '-m', `${attribute}=${value}`, path]);
    files.push(path);
  }
  // One sound file beside them: the export goes on, the others are listed with their reasons.
  const result = await buildFileSet([...files, corpus.files.find((c) => c.name === 'grey8.explicit.pydicom')!.file], { out: join(dir.path, 'out') });
  assert.equal(result.instances, 1);
  CASES.forEach(([name, , , reason], i) => {
    const e = result.errors.find((x) => x.path === files[i]);
    assert.match(e?.message ?? `${name}: exported`, reason, name);
  });
  for (const [i, [name, , , reason]] of CASES.entries()) {
    await assert.rejects(transcodeDataset(files[i], 1 << 20, '1.2.840.10008.1.2'), reason, `${name} was sent`);
  }
});

/** pydicom: copies [source, copy] pairs without Lossy Image Compression Method (0028,2114); HTJ2K made known to pydicom 2.3 as the corpus's generator does. */
const STRIP_METHOD = `import json, pydicom, sys
pydicom._uid_dict.UID_dictionary.setdefault("1.2.840.10008.1.2.4.203", ("HTJ2K", "Transfer Syntax", "", "", "HTJ2K"))
for src, dst in json.loads(sys.argv[1]):
    ds = pydicom.dcmread(src)
    del ds.LossyImageCompressionMethod
    ds.save_as(dst, write_like_original=True)
print("[]")`;

test('a lossy HTJ2K original without its method is flagged ISO_15444_15 (JPEG 2000 Part 15) by export and send, not ISO_15444_1', { skip: missing }, async (t) => {
  // The corpus's HTJ2K files carry the method already (the generator writes it): copies without it, made by pydicom
  // (DCMTK's dcmodify does not read HTJ2K files).
  const files = codecCorpus().files.filter((f) => f.transferSyntax === '1.2.840.10008.1.2.4.203').slice(0, 3);
  const dir = tempDir();
  t.after(dir.cleanup);
  const copies = files.map((f) => join(dir.path, `${f.name}.dcm`));
  python(['-c', STRIP_METHOD, JSON.stringify(files.map((f, i) => [f.file, copies[i]]))]);
  copies.forEach((path) => {
    assert.equal(ascii(parseSource(path, readFileSync(path), true).elements, T.LossyImageCompressionMethod), '', 'the copy has no method');
  });
  const out = join(dir.path, 'out');
  const result = await buildFileSet(copies, { out });
  assert.deepEqual(result.errors, []);
  const written = execFileSync('find', [join(out, 'DICOM'), '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(written.length, copies.length);
  for (const path of written) {
    const el = parseSource(path, readFileSync(path), true).elements;
    assert.deepEqual([ascii(el, T.LossyImageCompression), ascii(el, T.LossyImageCompressionMethod)], ['01', 'ISO_15444_15'], path);
  }
  for (const path of copies) {
    const { dataset } = await transcodeDataset(path, 1 << 20, '1.2.840.10008.1.2');
    const el = readDataset(dataset, 0, IMPLICIT_VR_LE);
    assert.deepEqual([ascii(el, T.LossyImageCompression), ascii(el, T.LossyImageCompressionMethod)], ['01', 'ISO_15444_15'], `${path} as sent`);
  }
});
