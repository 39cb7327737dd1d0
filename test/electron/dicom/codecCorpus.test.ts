/**
 * The codec corpus (test/fixtures/codecCorpus.ts) covers what it promises: every transfer syntax
 * Courier reads, every image kind, files from more than one toolkit, and each file declares the
 * syntax it is listed under (read by Courier's header reader).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHeader } from '../../../electron/dicom/header.ts';
import { TRANSFER_SYNTAXES } from '../../../electron/dicom/transferSyntax.ts';
import { codecCorpus } from '../../fixtures/codecCorpus.ts';
import { missingPeers } from '../../peers.ts';

test('the codec corpus covers every transfer syntax and image kind', { skip: missingPeers('dcmcjpls', 'gdcmconv', 'opj_compress', 'ojph_compress') }, () => {
  const corpus = codecCorpus();
  const syntaxes = new Set(corpus.files.map((f) => f.transferSyntax));
  // Video syntaxes hold no frames to compare; every other syntax Courier names is in the corpus.
  for (const ts of TRANSFER_SYNTAXES.values()) if (ts.read && !/MPEG/.test(ts.name)) assert.ok(syntaxes.has(ts.uid), `no file in ${ts.name}`);
  assert.ok(syntaxes.has('1.2.840.10008.1.2.8.1'), 'no file in Deflated Image Frame Compression');
  const kinds = new Set(corpus.files.map((f) => f.image));
  for (const k of ['grey8', 'grey12', 'grey16s', 'grey16u', 'mono1', 'grey32', 'rgb8', 'rgb8planar', 'rgb16', 'rgb32', 'ybrfull', 'ybr422', 'palette8', 'palette16', 'bit1', 'grey8mf', 'grey16mf', 'rgb8mf']) {
    assert.ok(kinds.has(k), `no ${k} image`);
  }
  assert.deepEqual(new Set(corpus.files.map((f) => f.toolkit)), new Set(['pydicom', 'DCMTK', 'GDCM', 'OpenJPEG', 'OpenJPH', 'zlib']));
  // JPEG-LS colour in all three interleave modes, near-lossless included.
  for (const n of ['rgb8.jpegls-ilv0.dcmtk', 'rgb8.jpegls.dcmtk', 'rgb8.jpegls-ilv2.dcmtk', 'rgb8.jpegls-near-ilv0.dcmtk']) assert.ok(corpus.files.some((f) => f.name === n), n);
  assert.equal(new Set(corpus.files.map((f) => f.sopInstanceUid)).size, corpus.files.length, 'each file is its own instance');
  for (const f of corpus.files) assert.equal(readHeader(f.file).transferSyntaxUID, f.transferSyntax, f.name);
});
