/**
 * Parsing a whole instance file for display: Part 10 files, files with a meta header but no
 * preamble, bare datasets (the encoding sniffed as the indexer does, shared/dicom/encoding.ts),
 * files that declare one encoding and are written in another, and deflated datasets (inflated here,
 * at most 1 GB). A file cut
 * short says "truncated" and what is missing.
 */
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { fileLayout } from '../../../../shared/dicom/encoding.ts';
import { nestedTooDeep, TOO_DEEP } from '../../../../shared/dicom/nesting.ts';
import { codecFor, DEFLATED_LE, EXPLICIT_LE, transferSyntaxInfo, type CodecFamily } from '../../../../shared/dicom/transferSyntax.ts';
import { paletteOf, pixelLayout, type Palette, type PixelLayout } from './attributes.ts';
import { encapsulatedFrame, nativeFrame, pixelElement, type NativeFrame } from './frames.ts';
import { inflateBoundedBy } from './inflate.ts';

/** A parsed instance file, ready to give its frames. */
export interface ParsedFile {
  dataSet: DataSet;
  /** The encoding the dataset is really written in. */
  transferSyntaxUID: string;
  littleEndian: boolean;
  pixel: Element;
  layout: PixelLayout;
  palette: Palette | null;
  /** The codec family of encapsulated pixel data; null for native. */
  codec: CodecFamily | null;
}

/** One frame as found in the file: native bytes, or compressed bytes for a decoder. */
export type RawFrame = { native: NativeFrame; encoded?: undefined } | { encoded: Uint8Array; native?: undefined };

/** Parses the bytes of an instance file; throws an Error for a person when it cannot be shown. */
export function parseFile(input: Uint8Array): ParsedFile {
  // A plain view (not a Node Buffer, whose slice() would not copy).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  let layout;
  try {
    layout = fileLayout(bytes);
  } catch (err) {
    throw new Error(`The file is truncated: ${(err as Error).message}`);
  }
  if (!layout) throw new Error('The file is not DICOM: no preamble and no recognisable dataset');
  const encoding = layout.encoding;
  let dataSet: DataSet;
  const deflated = encoding === DEFLATED_LE;
  const dataset = deflated ? inflateDataset(bytes.subarray(layout.datasetOffset)) : bytes.subarray(layout.datasetOffset);
  const syntax = transferSyntaxInfo(deflated ? EXPLICIT_LE : encoding);
  // dicom-parser recurses once per sequence level: a crafted file would overflow the stack and read as "truncated".
  if (nestedTooDeep(dataset, syntax.explicitVr, syntax.littleEndian)) throw new Error(TOO_DEEP);
  try {
    dataSet = dicomParser.parseDicom(dataset, { TransferSyntaxUID: deflated ? EXPLICIT_LE : encoding });
  } catch (err) {
    throw parseError(err);
  }
  const pixel = pixelElement(dataSet);
  if (!pixel) throw new Error('The file has no Pixel Data');
  const pixels = pixelLayout(dataSet);
  const encapsulated = Boolean(pixel.encapsulatedPixelData);
  const codec = encapsulated ? codecFor(encoding) : null;
  if (encapsulated && !codec) throw new Error(`Courier has no decoder for ${syntax.name}`);
  return { dataSet, transferSyntaxUID: encoding, littleEndian: syntax.littleEndian, pixel, layout: pixels, palette: paletteOf(dataSet, pixels), codec };
}

/** The bytes of frame `frame` (from 0). */
export function rawFrame(file: ParsedFile, frame: number): RawFrame {
  if (frame >= file.layout.frames) throw new Error(`The image has ${file.layout.frames} frames, not ${frame + 1}`);
  if (file.codec) return { encoded: encapsulatedFrame(file.dataSet, file.pixel, file.layout.frames, frame, file.codec) };
  return { native: nativeFrame(file.dataSet, file.pixel, file.layout, frame, file.littleEndian) };
}

/** The most a deflated dataset may inflate to (PS3.5 A.5); a file claiming more is refused, not inflated. */
const MAX_INFLATED = 1024 * 1024 * 1024;
/** What may follow Pixel Data in a deflated dataset (padding, signatures) beyond what its header declares. */
const AFTER_PIXELS = 16 * 1024 * 1024;

/** A Deflated Explicit VR Little Endian dataset inflated no further than its Pixel Data's declared length and
 * AFTER_PIXELS (as the main process does, electron/dicom/header.ts inflateDataset), MAX_INFLATED at most. */
function inflateDataset(deflated: Uint8Array): Uint8Array {
  let out: Uint8Array | null;
  try {
    out = inflateBoundedBy(deflated, MAX_INFLATED, declaredSize);
  } catch (err) {
    throw new Error(`The deflated dataset cannot be inflated: ${(err as Error).message}`);
  }
  if (!out) throw new Error('The deflated dataset inflates to more than its header declares: it is not read (a "decompression bomb", or a corrupt file)');
  return out;
}

/** How long a dataset whose start is `head` may be: through its Pixel Data and AFTER_PIXELS; null until its Pixel Data's header is in `head`. */
function declaredSize(head: Uint8Array): number | null {
  if (nestedTooDeep(head, true, true)) return null; // the whole parse says why
  try {
    const ds = dicomParser.parseDicom(head, { TransferSyntaxUID: EXPLICIT_LE, untilTag: 'x7fe00010' });
    const px = ds.elements.x7fe00010;
    return px && !px.hadUndefinedLength ? px.dataOffset + px.length + AFTER_PIXELS : null;
  } catch {
    return null; // cut in the middle of an element: more is needed
  }
}

/** dicom-parser's failure as words; a file whose elements run past its end is truncated. */
function parseError(err: unknown): Error {
  // A backstop for nesting nestedTooDeep cannot follow.
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new Error(TOO_DEEP);
  const message = typeof err === 'string' ? err : ((err as { exception?: string })?.exception ?? (err as Error)?.message ?? String(err));
  const partial = (err as { dataSet?: DataSet })?.dataSet;
  const px = partial && pixelElement(partial);
  if (px && px.dataOffset + px.length > partial.byteArray.length) {
    return new Error(`The file is truncated: its Pixel Data declares ${px.length} bytes, the file holds ${Math.max(0, partial.byteArray.length - px.dataOffset)} of them`);
  }
  if (/overrun|overread|beyond|exceed|maxPosition|cannot seek/i.test(message)) return new Error('The file is truncated: it ends in the middle of an element');
  return new Error(`The file could not be parsed as DICOM: ${message.replace(/^dicomParser[.:]\w*:\s*/, '')}`);
}
