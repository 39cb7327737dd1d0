/**
 * The guard every transcode passes (electron/dicom/transcode.ts): a decoded frame, and the native
 * Pixel Data written, must be exactly the size the attributes require, else nothing is written and
 * the reason is given — for export and for send alike. Files from the codec corpus (DCMTK, GDCM,
 * OpenJPEG) whose Rows or Columns DCMTK's dcmodify then changed, so attributes and pixels disagree:
 * dcmjs-codecs decoded the RLE and JPEG-LS ones into buffers of the attributes' size without a word.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFileSet } from '../../../electron/dicomdir/fileset.ts';
import { transcodeDataset } from '../../../electron/dicom/transcode.ts';
import { codecCorpus } from '../../fixtures/codecCorpus.ts';
import { tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';

const missing = missingPeers('dcmodify', 'dcmcjpls', 'gdcmconv', 'opj_compress', 'ojph_compress');

/** Corpus file → copy with `attribute` set to `value`, and the reason export and send must give. */
const CASES: [string, string, string, RegExp][] = [
  ['grey16u.rle.dcmtk', 'Rows', '22', /RLE Lossless pixel data could not be decompressed exactly, so nothing is written: frame 1: RLE segment 1 decodes to 693 bytes; 22 × 33 pixels need 726/],
  ['grey16u.j2k.gdcm', 'Columns', '32', /JPEG 2000 \(Lossless Only\) pixel data could not be decompressed exactly.*the codestream is 33 × 21 with 1 components; the attributes say 32 × 21/],
  ['rgb8.jpegls-ilv0.dcmtk', 'Rows', '20', /JPEG-LS Lossless pixel data could not be decompressed exactly.*frame 1: the codestream is 33 × 21 with 3 components; the attributes say 33 × 20/],
  ['grey16u.implicit.dcmtk', 'Rows', '22', /Not written, the pixels would not be what the attributes say: the Pixel Data holds 1386 bytes but 1 frame\(s\) of 22 × 33 × 1 samples of 16 bits need 1452/],
  ['bit1.j2k.openjpeg', 'Rows', '12', /JPEG 2000 \(Lossless Only\) pixel data could not be decompressed exactly.*frame 1: the codestream is 21 × 13 with 1 components; the attributes say 21 × 12/],
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
