/**
 * How deeply a dataset's sequences nest, found without recursion before a recursive reader
 * (dicom-parser) runs out of call stack on a crafted file: shared by the indexer
 * (electron/dicom/header.ts) and the viewer, so both name the real cause instead of reporting a
 * stack overflow as a truncated file.
 */
import { LONG_VRS, VRS } from './encoding.ts';

/** How deeply sequences may nest: far beyond real objects (an SR content tree is a few levels), far
 * short of the call stack dicom-parser's recursive reader would overflow. */
export const MAX_SEQUENCE_DEPTH = 64;

/** What a person is told about a dataset nested deeper than MAX_SEQUENCE_DEPTH. */
export const TOO_DEEP = `Sequences in the file are nested more than ${MAX_SEQUENCE_DEPTH} levels deep: it is not read (no real object nests so deeply; the file is corrupt or crafted)`;

/**
 * Follows the dataset `b` (from its first element) through its sequences and items (PS3.5 §7.5) and
 * says whether they nest deeper than MAX_SEQUENCE_DEPTH. It recognises sequences as dicom-parser does:
 * VR SQ, an undefined length UN (whose items are implicit VR, PS3.5 §6.2.2), and in implicit VR a value
 * starting with an Item. It stops quietly (false) at the top-level Pixel Data, at the end of the
 * bytes, or at anything it cannot follow (the parser then reports that).
 */
export function nestedTooDeep(b: Uint8Array, explicitVr: boolean, littleEndian: boolean): boolean {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (at: number) => view.getUint16(at, littleEndian);
  const u32 = (at: number) => view.getUint32(at, littleEndian);
  const UNDEFINED = 0xffffffff;
  // Open containers: a sequence's items, an item's elements, or encapsulated fragments; `end` is Infinity until a delimiter.
  const open: { kind: 'sequence' | 'item' | 'fragments'; end: number; explicit: boolean }[] = [];
  let depth = 0;
  let p = 0;
  while (p + 8 <= b.length) {
    while (open.length && p >= open.at(-1)!.end) if (open.pop()!.kind === 'sequence') depth--;
    const top = open.at(-1);
    const explicit = top?.explicit ?? explicitVr;
    const group = u16(p);
    const element = u16(p + 2);
    if (group === 0xfffe) {
      const length = u32(p + 4);
      if (element === 0xe000 && top?.kind === 'fragments') p += 8 + length;
      else if (element === 0xe000 && top?.kind === 'sequence') {
        open.push({ kind: 'item', end: length === UNDEFINED ? Infinity : p + 8 + length, explicit });
        p += 8;
      } else if ((element === 0xe00d && top?.kind === 'item') || (element === 0xe0dd && top && top.kind !== 'item')) {
        if (open.pop()!.kind === 'sequence') depth--;
        p += 8;
      } else return false;
      continue;
    }
    if (top?.kind === 'sequence' || top?.kind === 'fragments') return false;
    if (!top && group === 0x7fe0 && element === 0x0010) return false;
    let vr = '';
    let length: number;
    let valueAt: number;
    if (explicit) {
      vr = String.fromCharCode(b[p + 4], b[p + 5]);
      if (!VRS.has(vr)) return false;
      const long = LONG_VRS.has(vr);
      if (long && p + 12 > b.length) return false;
      length = long ? u32(p + 8) : u16(p + 6);
      valueAt = p + (long ? 12 : 8);
    } else {
      length = u32(p + 4);
      valueAt = p + 8;
    }
    const undefinedLength = length === UNDEFINED;
    const startsWithItem = valueAt + 4 <= b.length && u16(valueAt) === 0xfffe && u16(valueAt + 2) === 0xe000;
    const isSequence = explicit ? vr === 'SQ' || (vr === 'UN' && undefinedLength) : startsWithItem;
    if (isSequence) {
      if (++depth > MAX_SEQUENCE_DEPTH) return true;
      open.push({ kind: 'sequence', end: undefinedLength ? Infinity : valueAt + length, explicit: explicit && vr !== 'UN' });
      p = valueAt;
    } else if (undefinedLength && startsWithItem) {
      open.push({ kind: 'fragments', end: Infinity, explicit });
      p = valueAt;
    } else if (undefinedLength) {
      return false;
    } else {
      p = valueAt + length;
    }
  }
  return false;
}
