/**
 * DICOM Part 10 files (PS3.10 §7.1): the preamble, "DICM" and the File Meta Information in Explicit
 * VR Little Endian, written by the one dataset writer (dataset.ts) for every file Courier makes —
 * an export's re-encoded file, a transcoded dataset, and a dataset the test PACS received.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { encodedListLength, T, textElement, ulElement, writeElements, type Element } from './dataset.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './implementation.ts';

/** The identifiers that go into a meta header. */
export interface Part10Meta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Source Application Entity Title (0002,0016): who sent the dataset, for a received one. */
  sourceAe?: string;
}

/** The File Meta Information elements of a file, without the group length (PS3.10 §7.1). */
export function metaElements(meta: Part10Meta): Element[] {
  return [
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    textElement(0x00020002, 'UI', meta.sopClassUid),
    textElement(0x00020003, 'UI', meta.sopInstanceUid),
    textElement(0x00020010, 'UI', meta.transferSyntaxUid),
    textElement(0x00020012, 'UI', IMPLEMENTATION_CLASS_UID),
    textElement(0x00020013, 'SH', IMPLEMENTATION_VERSION_NAME),
    ...(meta.sourceAe?.trim() ? [textElement(0x00020016, 'AE', meta.sourceAe.trim())] : []),
  ];
}

/** Encodes the preamble, "DICM" and the File Meta Information group with its group length. */
export function part10Header(meta: Part10Meta): Buffer {
  const elements = metaElements(meta);
  const length = encodedListLength(elements);
  const out = Buffer.alloc(132 + 12 + length);
  out.write('DICM', 128, 'latin1');
  writeElements([ulElement(T.FileMetaGroupLength, length), ...elements], out, 132);
  return out;
}

/** Encodes a whole Part 10 file: header, then `elements` in Explicit VR Little Endian (encapsulated pixel data kept). */
export function part10(elements: readonly Element[], meta: Part10Meta): Buffer {
  const header = part10Header(meta);
  const size = header.length + encodedListLength(elements);
  const out = Buffer.alloc(size);
  header.copy(out);
  const p = writeElements(elements, out, header.length);
  if (p !== size) throw new Error(`internal: wrote ${p} of ${size} bytes`);
  return out;
}

/** Writes `dest` = meta header + the dataset bytes of `datasetPath`, copied in 1 MiB pieces (never over an existing file). */
export function writePart10File(datasetPath: string, dest: string, meta: Part10Meta): void {
  const out = openSync(dest, 'wx');
  try {
    writeSync(out, part10Header(meta));
    const input = openSync(datasetPath, 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let pos = 0; ; ) {
        const n = readSync(input, buf, 0, buf.length, pos);
        if (n <= 0) break;
        writeSync(out, buf, 0, n);
        pos += n;
      }
    } finally {
      closeSync(input);
    }
  } finally {
    closeSync(out);
  }
}
