/**
 * The one dataset codec (electron/dicom/dataset.ts): writes Explicit and Implicit VR Little Endian
 * that DCMTK reads back, and refuses a dataset nested deeper than a stack should go.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ascii, DatasetError, encode, EXPLICIT_VR_LE, IMPLICIT_VR_LE, readDataset, textElement, usElement, type Element } from '../../../electron/dicom/dataset.ts';
import { part10Header } from '../../../electron/dicom/part10.ts';
import { tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';

const elements: Element[] = [
  textElement(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
  textElement(0x00080018, 'UI', '2.25.1'),
  { tag: 0x00081199, vr: 'SQ', items: [[textElement(0x00081150, 'UI', '1.2.3'), usElement(0x00081197, 0x0112)], []] },
  textElement(0x00100010, 'PN', 'Odd^Name'),
  usElement(0x00280010, 7),
];

test('Explicit and Implicit VR Little Endian round-trip through the reader', () => {
  for (const enc of [EXPLICIT_VR_LE, IMPLICIT_VR_LE]) {
    const back = readDataset(encode(elements, enc), 0, enc);
    assert.equal(ascii(back, 0x00100010), 'Odd^Name');
    assert.equal(back.find((e) => e.tag === 0x00081199)?.items?.length, 2);
    assert.equal(ascii(back.find((e) => e.tag === 0x00081199)!.items![0], 0x00081150), '1.2.3');
  }
});

test('DCMTK reads what the writer writes, in both VR encodings', { skip: missingPeers('dcmdump') }, (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  for (const [name, enc, ts] of [['explicit', EXPLICIT_VR_LE, '1.2.840.10008.1.2.1'], ['implicit', IMPLICIT_VR_LE, '1.2.840.10008.1.2']] as const) {
    const path = join(dir.path, name);
    writeFileSync(path, Buffer.concat([part10Header({ sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '2.25.1', transferSyntaxUid: ts }), encode(elements, enc)]));
    const r = spawnSync('dcmdump', ['+E', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /E:|W:/);
    assert.match(r.stdout, /\(0008,1197\) US 274/);
    assert.match(r.stdout, /\(0010,0010\) PN \[Odd\^Name\]/);
  }
});

test('a dataset nested deeper than 64 sequences is refused, not a stack overflow', () => {
  let inner: Element[] = [textElement(0x00081150, 'UI', '1.2')];
  for (let i = 0; i < 200; i++) inner = [{ tag: 0x00081199, vr: 'SQ', items: [inner] }];
  for (const enc of [EXPLICIT_VR_LE, IMPLICIT_VR_LE]) {
    assert.throws(() => readDataset(encode(inner, enc), 0, enc), (err: Error) => err instanceof DatasetError && /nested more than 64/.test(err.message));
  }
});
