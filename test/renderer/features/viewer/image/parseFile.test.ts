/**
 * The viewer's parse (renderer/features/viewer/image/parseFile.ts, the code the page runs) names a
 * dataset nested too deeply as such: dicom-parser's recursive reader overflowed the stack on 20,000
 * levels and the page said "The file is truncated: it ends in the middle of an element". The
 * indexer refuses such a file (test/electron/dicom/header.test.ts), but a library file can be
 * replaced after indexing, and the viewer reads what is there now.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFile } from '../../../../../renderer/features/viewer/image/parseFile.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../../../../../shared/dicom/transferSyntax.ts';
import { MAX_SEQUENCE_DEPTH } from '../../../../../shared/dicom/nesting.ts';
import { encodePart10, nestedSequences } from '../../../../fixtures/dicomWriter.ts';

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
