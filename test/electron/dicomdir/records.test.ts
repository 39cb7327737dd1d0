/**
 * Unit checks of the record table, date/time repair, File-set IDs and the element re-encoder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode, readDataset, textElement, usElement, type Element } from '../../../electron/dicom/dataset.ts';
import { fileSetIdProblem } from '../../../electron/dicomdir/fileset.ts';
import { normalizeDateTime, recordKeys, recordTypeFor } from '../../../electron/dicomdir/records.ts';

test('recordTypeFor maps SOP classes to PS3.3 F.4 record types', () => {
  const sop = '1.2.840.10008.5.1.4.1.1.';
  assert.equal(recordTypeFor(sop + '2', true), 'IMAGE');
  assert.equal(recordTypeFor(sop + '481.2', true), 'RT DOSE');
  assert.equal(recordTypeFor(sop + '481.3', false), 'RT STRUCTURE SET');
  assert.equal(recordTypeFor(sop + '481.5', false), 'RT PLAN');
  assert.equal(recordTypeFor(sop + '481.4', false), 'RT TREAT RECORD');
  assert.equal(recordTypeFor(sop + '88.11', false), 'SR DOCUMENT');
  assert.equal(recordTypeFor(sop + '88.59', false), 'KEY OBJECT DOC');
  assert.equal(recordTypeFor(sop + '11.1', false), 'PRESENTATION');
  assert.equal(recordTypeFor(sop + '9.1.1', false), 'WAVEFORM');
  assert.equal(recordTypeFor(sop + '104.1', false), 'ENCAP DOC');
  assert.equal(recordTypeFor(sop + '66.1', false), 'REGISTRATION');
  assert.equal(recordTypeFor(sop + '66.4', true), 'IMAGE');
});

test('normalizeDateTime repairs ACR-NEMA forms and rejects garbage', () => {
  assert.equal(normalizeDateTime('DA', '20240131'), null);
  assert.equal(normalizeDateTime('DA', '1997.04.24'), '19970424');
  assert.equal(normalizeDateTime('DA', 'yesterday'), '');
  assert.equal(normalizeDateTime('TM', '101500.123'), null);
  assert.equal(normalizeDateTime('TM', '14:04:38'), '140438');
  assert.equal(normalizeDateTime('TM', '14:04'), '1404');
});

test('fileSetIdProblem follows PS3.10 §8.2 (CS, 16 characters)', () => {
  assert.equal(fileSetIdProblem('COURIER_1'), null);
  assert.match(fileSetIdProblem('lower')!, /A–Z/);
  assert.match(fileSetIdProblem('A'.repeat(17))!, /16/);
});

test('missing Type 1 keys are filled and reported, Type 2 written empty', () => {
  const src: Element[] = [textElement(0x00080021, 'DA', '2001.02.03')];
  const filled: string[] = [];
  const keys = recordKeys('STUDY', src, (k) => (k.tag === 0x00080020 ? '2001.02.03' : k.tag === 0x00080030 ? '000000' : 'X'), (k, v) => filled.push(`${k.name}=${v}`));
  assert.ok(filled.includes('Study Date=20010203'));
  assert.ok(keys.some((e) => e.tag === 0x00080050 && e.value!.length === 0), 'Accession Number (type 2) present and empty');
});

test('big endian values are swapped by VR; text is kept byte for byte', () => {
  // (0028,0010) US 512, (0010,0010) PN in explicit VR big endian.
  const be = Buffer.from([0x00, 0x10, 0x00, 0x10, 0x50, 0x4e, 0x00, 0x04, 0x41, 0x5e, 0x42, 0x20, 0x00, 0x28, 0x00, 0x10, 0x55, 0x53, 0x00, 0x02, 0x02, 0x00]);
  const els = readDataset(be, 0, { explicitVr: true, littleEndian: false });
  assert.deepEqual(els.map((e) => [e.tag.toString(16), e.vr]), [['100010', 'PN'], ['280010', 'US']]);
  assert.deepEqual([...els[1].value!], [0x00, 0x02]);
  assert.deepEqual(encode(els), encode([textElement(0x00100010, 'PN', 'A^B '), usElement(0x00280010, 512)]));
});

test('implicit VR gets dictionary VRs; private elements become UN, creators LO', () => {
  const le = (tag: number, value: number[]) => {
    const b = Buffer.alloc(8 + value.length);
    b.writeUInt16LE(tag >>> 16, 0);
    b.writeUInt16LE(tag & 0xffff, 2);
    b.writeUInt32LE(value.length, 4);
    Buffer.from(value).copy(b, 8);
    return b;
  };
  const bytes = Buffer.concat([le(0x00280010, [0, 2]), le(0x00290010, [0x41, 0x42]), le(0x00291001, [1, 2, 3, 4])]);
  const els = readDataset(bytes, 0, { explicitVr: false, littleEndian: true });
  assert.deepEqual(els.map((e) => e.vr), ['US', 'LO', 'UN']);
});
