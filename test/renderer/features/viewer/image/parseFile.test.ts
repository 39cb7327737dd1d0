/**
 * The viewer's parse (renderer/features/viewer/image/parseFile.ts, the code the page runs) inflates a
 * deflated dataset no further than its header declares, and names a dataset nested too deeply as such: dicom-parser's recursive reader overflowed the stack on 20,000
 * levels and the page said "The file is truncated: it ends in the middle of an element". The
 * indexer refuses such a file (test/electron/dicom/header.test.ts), but a library file can be
 * replaced after indexing, and the viewer reads what is there now.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFile } from '../../../../../renderer/features/viewer/image/parseFile.ts';
import { DEFLATED_LE, EXPLICIT_LE, IMPLICIT_LE } from '../../../../../shared/dicom/transferSyntax.ts';
import { MAX_SEQUENCE_DEPTH } from '../../../../../shared/dicom/nesting.ts';
import { deflatedZeros, encodeDataset, encodePart10, nestedSequences, obHeader, type El } from '../../../../fixtures/dicomWriter.ts';

test('sequences nested past the limit are named as such in the viewer, not as a truncated file', () => {
  for (const explicit of [true, false]) {
    const meta = encodePart10('1.2.840.10008.5.1.4.1.1.88.11', '1.2.3.4', [], explicit ? EXPLICIT_LE : IMPLICIT_LE);
    const syntax = explicit ? 'explicit' : 'implicit';
    // At the limit the dataset is read (and has no image).
    assert.throws(() => parseFile(Buffer.concat([meta, nestedSequences(MAX_SEQUENCE_DEPTH, explicit)])), /^Error: The file has no Pixel Data$/, `${MAX_SEQUENCE_DEPTH} levels (${syntax})`);
    for (const levels of [MAX_SEQUENCE_DEPTH + 1, 20_000]) {
      assert.throws(() => parseFile(Buffer.concat([meta, nestedSequences(levels, explicit)])), /Sequences in the file are nested more than 64 levels deep/, `${levels} levels (${syntax})`);
    }
  }
});

test('a deflated dataset is inflated no further than its Pixel Data and 16 MB after it, as in the main process', async () => {
  // An 8-bit 1024 × 1024 image of zeros (1 MB), and nothing after it, 15 MB of zeros after it, or 40 MB (a bomb).
  const SC = '1.2.840.10008.5.1.4.1.1.7';
  const attrs: El[] = [
    { tag: 0x00080016, vr: 'UI', value: SC },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.99' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: 1024 },
    { tag: 0x00280011, vr: 'US', value: 1024 },
    { tag: 0x00280100, vr: 'US', value: 8 },
    { tag: 0x00280101, vr: 'US', value: 8 },
    { tag: 0x00280102, vr: 'US', value: 7 },
    { tag: 0x00280103, vr: 'US', value: 0 },
  ];
  const head = Buffer.concat([encodeDataset(attrs), obHeader(0x7fe00010, 1024 * 1024)]);
  const file = async (mb: number) => Buffer.concat([encodePart10(SC, '1.2.3.99', [], DEFLATED_LE), await deflatedZeros(head, mb)]);
  assert.equal(parseFile(await file(1)).layout.rows, 1024);
  // Within the main process's allowance (16 MB past the pixels) the trailing zeros are padding, past it a bomb.
  assert.equal(parseFile(await file(16)).layout.columns, 1024);
  const bomb = await file(41);
  assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
  assert.throws(() => parseFile(bomb), /The deflated dataset inflates to more than its header declares/);
});
