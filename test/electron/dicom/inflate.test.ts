// Bounded inflation of deflated datasets: a decompression bomb is refused with its reason, within
// the limit and without inflating it all; a header is inflated only as far as it goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { tagTree } from '../../../electron/api/viewer.ts';
import { DicomFileError, asciiValue, inflateDataset, readHeader } from '../../../electron/dicom/header.ts';
import { DatasetError } from '../../../electron/dicom/dataset.ts';
import { readSource } from '../../../electron/dicom/transcode.ts';
import { inflateBounded, InflateError } from '../../../electron/dicom/inflate.ts';
import { Tag } from '../../../electron/dicom/tags.ts';
import { DEFLATED_LE } from '../../../electron/dicom/transferSyntax.ts';
import { deflatedZeros, encodeDataset, encodePart10, obHeader, type El } from '../../fixtures/dicomWriter.ts';
import { tempDir } from '../../helpers.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const ids: El[] = [
  { tag: 0x00080016, vr: 'UI', value: SC },
  { tag: 0x00080018, vr: 'UI', value: '1.2.3.99' },
  { tag: 0x00100010, vr: 'PN', value: 'Deflated^Test' },
];

test('inflateBounded refuses output past its limit, cut and corrupt streams, each with its reason', () => {
  const data = Buffer.alloc(4 * 1024 * 1024, 7);
  const deflated = deflateRawSync(data);
  assert.deepEqual(inflateBounded(deflated), data);
  assert.throws(() => inflateBounded(deflated, 1024 * 1024), (e: unknown) => e instanceof InflateError && /more than 1 MB/.test(e.message));
  assert.throws(() => inflateBounded(deflated.subarray(0, deflated.length - 4)), (e: unknown) => e instanceof InflateError && /truncated/.test(e.message));
  assert.throws(() => inflateBounded(Buffer.from('not a deflate stream at all')), (e: unknown) => e instanceof InflateError && /corrupt/.test(e.message));
});

test('a deflated file whose header inflates past 64 MB is refused as a bomb', async () => {
  const dir = tempDir();
  try {
    // 100 KB on disk: a private OB of 96 MB of zeros before Pixel Data.
    const stream = await deflatedZeros(Buffer.concat([encodeDataset(ids), obHeader(0x00091010, 96 * 1024 * 1024)]), 96);
    const path = join(dir.path, 'bomb.dcm');
    writeFileSync(path, Buffer.concat([encodePart10(SC, '1.2.3.99', [], DEFLATED_LE), stream]));
    assert.throws(() => readHeader(path), (e: unknown) => e instanceof DicomFileError && /inflates to more than 64 MB/.test(e.message));
  } finally {
    dir.cleanup();
  }
});

test('the header of a deflated file is read without inflating its pixel data', async () => {
  const dir = tempDir();
  try {
    // A blank 128 MB image (1000:1 in deflate): the header is read, the pixels are not inflated.
    const stream = await deflatedZeros(Buffer.concat([encodeDataset(ids), obHeader(0x7fe00010, 128 * 1024 * 1024)]), 128);
    const path = join(dir.path, 'blank.dcm');
    writeFileSync(path, Buffer.concat([encodePart10(SC, '1.2.3.99', [], DEFLATED_LE), stream]));
    const h = readHeader(path);
    assert.equal(asciiValue(h, Tag.SOPInstanceUID), '1.2.3.99');
    assert.equal(h.hasPixels, true);
    assert.ok(h.bytes.length < 2 * 1024 * 1024, `inflated ${h.bytes.length} bytes to read the header`);
    // Cut short: the header is still there, the pixel data is not (the send check's business).
    writeFileSync(path, Buffer.concat([encodePart10(SC, '1.2.3.99', [], DEFLATED_LE), stream.subarray(0, 2000)]));
    assert.equal(asciiValue(readHeader(path), Tag.SOPInstanceUID), '1.2.3.99');
    // Cut inside the header: truncated, in words.
    writeFileSync(path, Buffer.concat([encodePart10(SC, '1.2.3.99', [], DEFLATED_LE), stream.subarray(0, 40)]));
    assert.throws(() => readHeader(path), (e: unknown) => e instanceof DicomFileError && /truncated/.test(e.message));
  } finally {
    dir.cleanup();
  }
});

test('a whole deflated dataset inflates no further than its header declares (export, send, tag browser)', async () => {
  const dir = tempDir();
  try {
    // Pixel Data declares 1 MB; the stream goes on with 40 MB more zeros after it.
    const pixels = obHeader(0x7fe00010, 1024 * 1024);
    const honest = await deflatedZeros(Buffer.concat([encodeDataset(ids), pixels]), 1);
    const inflated = inflateDataset(honest);
    assert.equal(inflated.length, encodeDataset(ids).length + 12 + 1024 * 1024);
    const bomb = await deflatedZeros(Buffer.concat([encodeDataset(ids), pixels]), 41);
    assert.throws(() => inflateDataset(bomb), (e: unknown) => e instanceof InflateError && /inflates to more than 17 MB/.test(e.message));
    const path = join(dir.path, 'bomb.dcm');
    writeFileSync(path, Buffer.concat([encodePart10(SC, '1.2.3.99', [], DEFLATED_LE), bomb]));
    assert.throws(() => readSource(path), (e: unknown) => e instanceof DatasetError && /inflates to more than 17 MB/.test(e.message));
    assert.throws(() => tagTree(readFileSync(path)), /inflates to more than 17 MB/);
  } finally {
    dir.cleanup();
  }
});
