/**
 * Transcoding for C-STORE, used only when the peer accepts none of the transfer syntaxes the file
 * already is (docs/architecture.md), and never lossy: to Explicit or Implicit VR Little Endian, from any
 * uncompressed syntax (Implicit/Explicit VR Little Endian, Explicit VR Big Endian, Deflated) and
 * from every compressed syntax Courier can decode (RLE, JPEG, JPEG-LS, JPEG 2000, HTJ2K).
 * Decompressing adds no loss; a lossy original stays flagged as lossy (PS3.3 C.7.6.1.1.5). The
 * export code (dicomdir/source.ts) does the work, keeping every other value's bytes; Implicit VR is
 * then written by dcmjs. The result is never byte-identical, which is why the sender records it.
 */
import { dcmjs } from '../dicom/dcmjs.ts';
import { EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo } from '../dicom/transferSyntax.ts';
import { codecFor, loadCodecs } from '../dicomdir/pixels.ts';
import { prepare, readSource } from '../dicomdir/source.ts';

interface DcmjsDict {
  meta: Record<string, { Value: unknown[] }>;
  write(): ArrayBuffer;
}
// dcmjs ships no types; only DicomMessage.readFile and DicomDict.write are used here.

/** Largest file we transcode in memory. */
const MAX_TRANSCODE = 512 * 1024 * 1024;

/** True when `from` can be transcoded to `to` without loss by `transcodeDataset`. */
export function canTranscode(from: string, to: string): boolean {
  if ((to !== EXPLICIT_LE && to !== IMPLICIT_LE) || from === to) return false;
  return !transferSyntaxInfo(from).encapsulated || codecFor(from) !== null;
}

/** A transcoded dataset, and what was done to it (for the instance's message). */
export interface Transcoded {
  dataset: Buffer;
  note: string;
}

/** Reads the file at `path` and returns its dataset encoded in `to` (Explicit or Implicit VR LE). */
export async function transcodeDataset(path: string, size: number, to: string): Promise<Transcoded> {
  if (size > MAX_TRANSCODE) throw new Error(`Too large to transcode in memory (${size} bytes)`);
  const src = readSource(path);
  if (codecFor(src.pixelTs)) await loadCodecs();
  const explicit = prepare(src, new Set([EXPLICIT_LE]));
  const note = explicit.note ?? `re-encoded from ${transferSyntaxInfo(src.ts).name}`;
  let file = Buffer.from(explicit.bytes.buffer, explicit.bytes.byteOffset, explicit.bytes.byteLength);
  if (to === IMPLICIT_LE) {
    const dict = dcmjs().data.DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer, { ignoreErrors: false }) as DcmjsDict;
    dict.meta['00020010'] = { ...dict.meta['00020010'], Value: [IMPLICIT_LE] };
    file = Buffer.from(dict.write());
  }
  // Skip preamble, "DICM" and group 0002 (its length is in (0002,0000), always first: PS3.10 §7.1).
  const groupLength = file.readUInt32LE(132 + 8);
  return { dataset: file.subarray(132 + 12 + groupLength), note: to === IMPLICIT_LE ? `${note}, in Implicit VR Little Endian` : note };
}
