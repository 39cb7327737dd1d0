/**
 * Is this file sound: a parsed file whose bytes can go to a peer (or a file-set) as they are. A file
 * that declares one transfer syntax but is encoded in another, has no File Meta Information, lacks its
 * UIDs or is truncated gets a clear reason instead of being sent as garbage (dcmjs-dimse padded
 * truncated files and sent them with Success: docs/dimse.md). The indexer records the answer
 * (library/examine.ts) and a send checks a file it has not indexed (send/preflight.ts).
 */
import { readSync } from 'node:fs';
import { asciiValue, type ParsedHeader } from './header.ts';
import { Tag } from './tags.ts';
import { DEFLATED_LE, transferSyntaxInfo } from './transferSyntax.ts';

/** The SOP Class and Instance UIDs of a file: from its dataset, else from its meta header ('' when neither has one). */
export function uidsOf(h: ParsedHeader): { sopClassUid: string; sopInstanceUid: string } {
  return {
    sopClassUid: asciiValue(h, Tag.SOPClassUID) || h.meta?.MediaStorageSOPClassUID || '',
    sopInstanceUid: asciiValue(h, Tag.SOPInstanceUID) || h.meta?.MediaStorageSOPInstanceUID || '',
  };
}

/**
 * Why a parsed file cannot be sent as it is, or null when it can. The file's bytes are read from
 * `whole` (the whole file in memory) or `fd` (the item headers of encapsulated pixel data only).
 * The indexer records the answer, so a send of an unchanged file need not parse it again.
 */
export function soundnessProblem(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): string | null {
  if (!h.meta || !h.meta.TransferSyntaxUID) return 'No File Meta Information (PS3.10 §7.1): the transfer syntax is a guess, so the file is not sent as it is';
  if (h.actualEncoding) {
    return `Declares ${transferSyntaxInfo(h.transferSyntaxUID).name} but is encoded as ${transferSyntaxInfo(h.actualEncoding).name}: sending its bytes would give the receiver garbage`;
  }
  const { sopClassUid, sopInstanceUid } = uidsOf(h);
  if (!sopClassUid) return 'No SOP Class UID (0008,0016)';
  if (!sopInstanceUid) return 'No SOP Instance UID (0008,0018)';
  if (h.datasetOffset >= h.fileSize) return 'The file has no dataset after its meta header';
  const problem = h.transferSyntaxUID === DEFLATED_LE ? null : pixelDataProblem(h, file);
  if (problem) return problem;
  // Every element has an even length (PS3.5 §7.1.1), so an odd dataset is cut or corrupt; a deflated
  // stream may be odd and is padded when sent (PS3.5 §A.5).
  if ((h.fileSize - h.datasetOffset) % 2 && h.transferSyntaxUID !== DEFLATED_LE) return `The dataset has an odd length (${h.fileSize - h.datasetOffset} bytes): the file is truncated or corrupt`;
  return null;
}

/** Checks that the pixel data element is complete: its length fits the file, or its fragments end with a delimiter. */
function pixelDataProblem(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): string | null {
  const el = h.dataSet.elements[Tag.PixelData] ?? h.dataSet.elements[Tag.FloatPixelData] ?? h.dataSet.elements[Tag.DoubleFloatPixelData];
  if (!el || el.dataOffset === undefined) return null;
  const start = h.datasetOffset + el.dataOffset;
  if (!el.hadUndefinedLength) {
    if (start + el.length > h.fileSize) return `Truncated: Pixel Data needs ${el.length} bytes but the file ends ${h.fileSize - start} bytes into it`;
    return null;
  }
  const littleEndian = transferSyntaxInfo(h.transferSyntaxUID).littleEndian;
  const head = Buffer.alloc(8);
  const readAt = (pos: number) => ('whole' in file ? file.whole.copy(head, 0, pos, pos + 8) : readSync(file.fd, head, 0, 8, pos));
  let p = start;
  for (let items = 0; items < 10_000_000; items++) {
    if (p + 8 > h.fileSize || readAt(p) < 8) return 'Truncated: the encapsulated Pixel Data has no sequence delimiter (the file ends inside it)';
    const group = littleEndian ? head.readUInt16LE(0) : head.readUInt16BE(0);
    const element = littleEndian ? head.readUInt16LE(2) : head.readUInt16BE(2);
    const len = littleEndian ? head.readUInt32LE(4) : head.readUInt32BE(4);
    if (group === 0xfffe && element === 0xe0dd) return null;
    if (group !== 0xfffe || element !== 0xe000 || len === 0xffffffff) return `Malformed encapsulated Pixel Data at byte ${p}`;
    p += 8 + len;
    if (p > h.fileSize) return 'Truncated: a Pixel Data fragment runs past the end of the file';
  }
  return 'Malformed encapsulated Pixel Data (too many fragments)';
}
