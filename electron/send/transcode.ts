/**
 * Transcoding for C-STORE, used only when the peer accepts none of the transfer syntaxes the file
 * already is (DESIGN.md). Only between the uncompressed syntaxes (Implicit/Explicit VR Little
 * Endian, Explicit VR Big Endian, Deflated), which is lossless; through dcmjs, which re-encodes the
 * whole dataset (so the result is never byte-identical — that is why it is recorded).
 */
import { readFileSync } from 'node:fs';
import { dcmjs } from '../dicom/dcmjs.ts';
import { EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo } from '../dicom/transferSyntax.ts';

interface DcmjsDict {
  meta: Record<string, { Value: unknown[] }>;
  write(): ArrayBuffer;
}
// dcmjs ships no types; only DicomMessage.readFile and DicomDict.write are used here.

/** Largest file we transcode in memory. */
const MAX_TRANSCODE = 512 * 1024 * 1024;

/** True when `from` can be transcoded to `to` without loss by `transcodeDataset`. */
export function canTranscode(from: string, to: string): boolean {
  const f = transferSyntaxInfo(from);
  return !f.encapsulated && (to === EXPLICIT_LE || to === IMPLICIT_LE) && from !== to;
}

/** Reads the file at `path` and returns its dataset encoded in `to` (Explicit or Implicit VR LE). */
export function transcodeDataset(path: string, size: number, to: string): Buffer {
  if (size > MAX_TRANSCODE) throw new Error(`Too large to transcode in memory (${size} bytes)`);
  const b = readFileSync(path);
  const dict = dcmjs().data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, { ignoreErrors: false }) as DcmjsDict;
  dict.meta['00020010'] = { ...dict.meta['00020010'], Value: [to] };
  const out = Buffer.from(dict.write());
  // Skip preamble, "DICM" and group 0002 (its length is in (0002,0000), always first: PS3.10 §7.1).
  const groupLength = out.readUInt32LE(132 + 8);
  return out.subarray(132 + 12 + groupLength);
}
