// readHeader: preamble or not, declared vs real encoding, deflate, truncation, large headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DicomFileError, MAX_SEQUENCE_DEPTH, NotDicomError, asciiValue, intValue, readHeader } from '../../../electron/dicom/header.ts';
import { Tag } from '../../../electron/dicom/tags.ts';
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';
import { encodePart10, nestedSequences } from '../../fixtures/dicomWriter.ts';
import { PYDICOM_TEST_FILES, python, tempDir } from '../../helpers.ts';

const f = (name: string) => join(PYDICOM_TEST_FILES, name);

test('CT_small: meta header, dataset offset and key attributes agree with pydicom', () => {
  const h = readHeader(f('CT_small.dcm'));
  const ref = python<{ offset: number; sop: string; ts: string; rows: number }>([
    '-c',
    `import json,pydicom
from pydicom.filereader import read_preamble, _read_file_meta_info
fp=open('${f('CT_small.dcm')}','rb'); read_preamble(fp, False); _read_file_meta_info(fp)
ds=pydicom.dcmread('${f('CT_small.dcm')}')
print(json.dumps({'offset':fp.tell(),'sop':ds.SOPInstanceUID,'ts':str(ds.file_meta.TransferSyntaxUID),'rows':ds.Rows}))`,
  ]);
  assert.equal(h.hasPart10Header, true);
  assert.equal(h.datasetOffset, ref.offset);
  assert.equal(h.transferSyntaxUID, ref.ts);
  assert.equal(asciiValue(h, Tag.SOPInstanceUID), ref.sop);
  assert.equal(intValue(h, Tag.Rows, 'US'), ref.rows);
  assert.equal(h.hasPixels, true);
});

test('files without preamble or meta header are sniffed', () => {
  const le = readHeader(f('ExplVR_LitEndNoMeta.dcm'));
  assert.equal(le.hasPart10Header, false);
  assert.equal(le.transferSyntaxUID, EXPLICIT_LE);
  assert.equal(le.datasetOffset, 0);
  const be = readHeader(f('ExplVR_BigEndNoMeta.dcm'));
  assert.equal(be.transferSyntaxUID, EXPLICIT_BE);
  assert.ok(asciiValue(be, Tag.SOPInstanceUID).length > 10);
  // An implicit VR LE dataset with nothing in front: MR_small_implicit without its meta header.
  const source = readHeader(f('MR_small_implicit.dcm'));
  const dir = tempDir();
  try {
    const raw = join(dir.path, 'raw');
    writeFileSync(raw, readFileSync(f('MR_small_implicit.dcm')).subarray(source.datasetOffset));
    const implicit = readHeader(raw);
    assert.equal(implicit.transferSyntaxUID, IMPLICIT_LE);
    assert.equal(asciiValue(implicit, Tag.SOPInstanceUID), asciiValue(source, Tag.SOPInstanceUID));
  } finally {
    dir.cleanup();
  }
});

test('a file that declares explicit VR but is written implicit is read as it really is', () => {
  const h = readHeader(f('SC_rgb_jpeg.dcm'));
  assert.equal(h.transferSyntaxUID, '1.2.840.10008.1.2.4.50');
  assert.equal(h.actualEncoding, IMPLICIT_LE);
  assert.ok(asciiValue(h, Tag.StudyInstanceUID));
});

test('deflated files are inflated to read the header', () => {
  const h = readHeader(f('image_dfl.dcm'));
  assert.equal(h.transferSyntaxUID, '1.2.840.10008.1.2.1.99');
  assert.ok(asciiValue(h, Tag.SOPInstanceUID));
  assert.equal(h.hasPixels, true);
});

test('big endian files keep their numbers right', () => {
  const h = readHeader(f('MR_small_bigendian.dcm'));
  assert.equal(intValue(h, Tag.Rows, 'US'), 64);
});

test('non-DICOM files are NotDicomError; truncated ones a readable DicomFileError', () => {
  assert.throws(() => readHeader(join(PYDICOM_TEST_FILES, 'README.txt')), NotDicomError);
  assert.throws(() => readHeader(f('rtplan_truncated.dcm')), (err: unknown) => {
    assert.ok(err instanceof DicomFileError);
    assert.match(err.message, /truncated/);
    return true;
  });
});

test('a header larger than the first chunk is read in growing chunks, pixel data never whole', () => {
  const dir = tempDir();
  try {
    const big = 'X'.repeat(200_000);
    const path = join(dir.path, 'big-header');
    const pixels = new Uint8Array(4_000_000);
    writeFileSync(
      path,
      encodePart10('1.2.840.10008.5.1.4.1.1.7', '1.2.3.4', [
        { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
        { tag: 0x00080018, vr: 'UI', value: '1.2.3.4' },
        { tag: 0x00100010, vr: 'PN', value: 'Long^Header' },
        { tag: 0x00291010, vr: 'UT', value: big },
        { tag: 0x7fe00010, vr: 'OB', value: pixels },
      ]),
    );
    const h = readHeader(path);
    assert.equal(asciiValue(h, Tag.SOPInstanceUID), '1.2.3.4');
    assert.equal(h.hasPixels, true);
    assert.ok(h.bytes.length < 1_000_000, `read ${h.bytes.length} bytes of a ${h.fileSize}-byte file`);
  } finally {
    dir.cleanup();
  }
});

test('sequences nested past the limit are refused as such, not as a truncated file', () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'deep');
    for (const explicit of [true, false]) {
      const meta = encodePart10('1.2.840.10008.5.1.4.1.1.88.11', '1.2.3.4', [], explicit ? EXPLICIT_LE : IMPLICIT_LE);
      writeFileSync(path, Buffer.concat([meta, nestedSequences(MAX_SEQUENCE_DEPTH, explicit)]));
      assert.equal(asciiValue(readHeader(path), Tag.SOPInstanceUID), '1.2.3.4', `${MAX_SEQUENCE_DEPTH} levels are read (${explicit ? 'explicit' : 'implicit'})`);
      for (const levels of [MAX_SEQUENCE_DEPTH + 1, 20_000]) {
        writeFileSync(path, Buffer.concat([meta, nestedSequences(levels, explicit)]));
        assert.throws(
          () => readHeader(path),
          (e: unknown) => e instanceof DicomFileError && /nested more than 64 levels deep/.test(e.message),
          `${levels} levels (${explicit ? 'explicit' : 'implicit'})`,
        );
      }
    }
  } finally {
    dir.cleanup();
  }
});

test('a file cut inside its header says truncated, whichever reader of dicom-parser ran out of bytes', () => {
  const dir = tempDir();
  try {
    const ct = readFileSync(f('CT_small.dcm'));
    for (const at of [700, 701, 1000, 1201]) {
      writeFileSync(join(dir.path, 'cut'), ct.subarray(0, at));
      assert.throws(() => readHeader(join(dir.path, 'cut')), (e: unknown) => e instanceof DicomFileError && /truncated/.test(e.message), `cut at ${at}`);
    }
  } finally {
    dir.cleanup();
  }
});
