/**
 * Writing the DICOMDIR file (PS3.10 §8, PS3.3 F.3 Basic Directory IOD): a Part 10 file in Explicit VR
 * Little Endian whose Directory Record Sequence links PATIENT → STUDY → SERIES → instance records by
 * byte offsets, computed here just before writing (like fo-dicom's DicomDirectory).
 */
import { MEDIA_STORAGE_DIRECTORY_SOP_CLASS } from '../dicom/tags.ts';
import { EXPLICIT_LE } from '../dicom/transferSyntax.ts';
import { encodedListLength, textElement, ulElement, usElement, writeElements, type Element } from '../dicom/dataset.ts';
import { part10Header } from '../dicom/part10.ts';

/** A directory record and the records below it. */
export interface DirRecord {
  type: string;
  /** Referenced File ID components (instance records only), e.g. ['DICOM', 'PAT00001', …]. */
  fileId?: string[];
  sopClassUid?: string;
  sopInstanceUid?: string;
  transferSyntaxUid?: string;
  /** The record's keys (PS3.3 F.5), any order. */
  keys: Element[];
  children: DirRecord[];
}

const OFFSET_NEXT = 0x00041400;
const IN_USE = 0x00041410;
const OFFSET_LOWER = 0x00041420;

/** The elements of a record except the offsets, in tag order. */
function recordElements(r: DirRecord, next: number, lower: number): Element[] {
  const els: Element[] = [ulElement(OFFSET_NEXT, next), usElement(IN_USE, 0xffff), ulElement(OFFSET_LOWER, lower), textElement(0x00041430, 'CS', r.type)];
  if (r.fileId) {
    els.push(textElement(0x00041500, 'CS', r.fileId.join('\\')));
    els.push(textElement(0x00041510, 'UI', r.sopClassUid!));
    els.push(textElement(0x00041511, 'UI', r.sopInstanceUid!));
    els.push(textElement(0x00041512, 'UI', r.transferSyntaxUid!));
  }
  els.push(...r.keys);
  return els.sort((a, b) => a.tag - b.tag);
}

/** Encodes a DICOMDIR for the given root records (patients). */
export function encodeDicomdir(roots: DirRecord[], fileSetId: string, sopInstanceUid: string): Uint8Array {
  const header = part10Header({ transferSyntaxUid: EXPLICIT_LE, sopClassUid: MEDIA_STORAGE_DIRECTORY_SOP_CLASS, sopInstanceUid });
  const head: Element[] = [
    textElement(0x00041130, 'CS', fileSetId),
    ulElement(0x00041200, 0),
    ulElement(0x00041202, 0),
    usElement(0x00041212, 0),
  ];
  // Records in depth-first order; each record's offset is where its item tag is, from the file's first byte.
  const order: DirRecord[] = [];
  const walk = (list: DirRecord[]) => {
    for (const r of list) {
      order.push(r);
      walk(r.children);
    }
  };
  walk(roots);
  const sizes = new Map<DirRecord, number>(order.map((r) => [r, encodedListLength(recordElements(r, 0, 0))]));
  let p = header.length + encodedListLength(head) + 12; // after the sequence header
  const offsets = new Map<DirRecord, number>();
  for (const r of order) {
    offsets.set(r, p);
    p += 8 + sizes.get(r)!;
  }
  const total = p + 8;
  const nextOf = new Map<DirRecord, number>();
  const link = (list: DirRecord[]) => {
    list.forEach((r, i) => {
      nextOf.set(r, i + 1 < list.length ? offsets.get(list[i + 1])! : 0);
      link(r.children);
    });
  };
  link(roots);
  head[1] = ulElement(0x00041200, roots.length ? offsets.get(roots[0])! : 0);
  head[2] = ulElement(0x00041202, roots.length ? offsets.get(roots[roots.length - 1])! : 0);

  const out = Buffer.alloc(total);
  header.copy(out);
  let w = writeElements(head, out, header.length);
  // (0004,1220) Directory Record Sequence, undefined length; items with explicit lengths.
  out.writeUInt16LE(0x0004, w);
  out.writeUInt16LE(0x1220, w + 2);
  out.write('SQ', w + 4, 'latin1');
  out.writeUInt16LE(0, w + 6);
  out.writeUInt32LE(0xffffffff, w + 8);
  w += 12;
  for (const r of order) {
    if (w !== offsets.get(r)) throw new Error(`internal: record at ${w}, expected ${offsets.get(r)}`);
    out.writeUInt16LE(0xfffe, w);
    out.writeUInt16LE(0xe000, w + 2);
    out.writeUInt32LE(sizes.get(r)!, w + 4);
    w += 8;
    const lower = r.children.length ? offsets.get(r.children[0])! : 0;
    w = writeElements(recordElements(r, nextOf.get(r)!, lower), out, w);
  }
  out.writeUInt16LE(0xfffe, w);
  out.writeUInt16LE(0xe0dd, w + 2);
  out.writeUInt32LE(0, w + 4);
  w += 8;
  if (w !== total) throw new Error(`internal: DICOMDIR is ${w} bytes, expected ${total}`);
  return out;
}
