/**
 * Transfer syntaxes Courier knows by name (PS3.5 §10, PS3.6 Annex A): one table for the main process
 * and the viewer.
 */

/** Implicit VR Little Endian: the default transfer syntax (PS3.5 §10.1). */
export const IMPLICIT_LE = '1.2.840.10008.1.2';
/** Explicit VR Little Endian. */
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
/** Deflated Explicit VR Little Endian. */
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
/** Explicit VR Big Endian (retired). */
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/** Facts about one transfer syntax. */
export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  explicitVr: boolean;
  littleEndian: boolean;
  /** Pixel data is encapsulated (compressed). */
  encapsulated: boolean;
  /** The compression may lose information. */
  lossy: boolean;
  deflated: boolean;
  /** Courier reads files in it: indexes them, and sends, exports or shows them (or says why not). */
  read: boolean;
}

const ts = (uid: string, name: string, encapsulated = true, lossy = false, read = true): TransferSyntaxInfo => ({
  uid,
  name,
  explicitVr: uid !== IMPLICIT_LE,
  littleEndian: uid !== EXPLICIT_BE,
  encapsulated,
  lossy,
  deflated: uid === DEFLATED_LE,
  read,
});
/** A transfer syntax Courier only names. */
const named = (uid: string, name: string, encapsulated = true, lossy = false) => ts(uid, name, encapsulated, lossy, false);

/** Every transfer syntax of PS3.6 Table A-1, keyed by UID, so every message can name one; which of them Courier decodes is
 * electron/dicom/pixels.ts's codecFor. */
export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntaxInfo> = new Map(
  [
    ts(IMPLICIT_LE, 'Implicit VR Little Endian', false),
    ts(EXPLICIT_LE, 'Explicit VR Little Endian', false),
    named('1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian'),
    ts(DEFLATED_LE, 'Deflated Explicit VR Little Endian', false),
    ts(EXPLICIT_BE, 'Explicit VR Big Endian', false),
    ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', true, true),
    ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', true, true),
    named('1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5) (retired)', true, true),
    named('1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)', true, true),
    named('1.2.840.10008.1.2.4.54', 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)', true, true),
    named('1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)', true, true),
    named('1.2.840.10008.1.2.4.56', 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)', true, true),
    ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)'),
    named('1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15) (retired)'),
    named('1.2.840.10008.1.2.4.59', 'JPEG Extended, Hierarchical (Process 16 & 18) (retired)', true, true),
    named('1.2.840.10008.1.2.4.60', 'JPEG Extended, Hierarchical (Process 17 & 19) (retired)', true, true),
    named('1.2.840.10008.1.2.4.61', 'JPEG Spectral Selection, Hierarchical (Process 20 & 22) (retired)', true, true),
    named('1.2.840.10008.1.2.4.62', 'JPEG Spectral Selection, Hierarchical (Process 21 & 23) (retired)', true, true),
    named('1.2.840.10008.1.2.4.63', 'JPEG Full Progression, Hierarchical (Process 24 & 26) (retired)', true, true),
    named('1.2.840.10008.1.2.4.64', 'JPEG Full Progression, Hierarchical (Process 25 & 27) (retired)', true, true),
    named('1.2.840.10008.1.2.4.65', 'JPEG Lossless, Hierarchical (Process 28) (retired)'),
    named('1.2.840.10008.1.2.4.66', 'JPEG Lossless, Hierarchical (Process 29) (retired)'),
    ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction'),
    ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'),
    ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', true, true),
    ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)'),
    ts('1.2.840.10008.1.2.4.91', 'JPEG 2000', true, true),
    named('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)'),
    named('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component', true, true),
    named('1.2.840.10008.1.2.4.94', 'JPIP Referenced'),
    named('1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate'),
    ts('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', true, true),
    named('1.2.840.10008.1.2.4.100.1', 'Fragmentable MPEG2 Main Profile / Main Level', true, true),
    named('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', true, true),
    named('1.2.840.10008.1.2.4.101.1', 'Fragmentable MPEG2 Main Profile / High Level', true, true),
    ts('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', true, true),
    named('1.2.840.10008.1.2.4.102.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', true, true),
    named('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', true, true),
    named('1.2.840.10008.1.2.4.103.1', 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', true, true),
    named('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', true, true),
    named('1.2.840.10008.1.2.4.104.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', true, true),
    named('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', true, true),
    named('1.2.840.10008.1.2.4.105.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', true, true),
    named('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', true, true),
    named('1.2.840.10008.1.2.4.106.1', 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', true, true),
    named('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', true, true),
    named('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', true, true),
    named('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'),
    named('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'),
    named('1.2.840.10008.1.2.4.112', 'JPEG XL', true, true),
    ts('1.2.840.10008.1.2.4.201', 'HTJ2K (Lossless Only)'),
    ts('1.2.840.10008.1.2.4.202', 'HTJ2K with RPCL (Lossless Only)'),
    ts('1.2.840.10008.1.2.4.203', 'HTJ2K', true, true),
    named('1.2.840.10008.1.2.4.204', 'JPIP HTJ2K Referenced'),
    named('1.2.840.10008.1.2.4.205', 'JPIP HTJ2K Referenced Deflate'),
    ts('1.2.840.10008.1.2.5', 'RLE Lossless'),
    named('1.2.840.10008.1.2.6.1', 'RFC 2557 MIME Encapsulation (retired)'),
    named('1.2.840.10008.1.2.6.2', 'XML Encoding (retired)'),
    named('1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video'),
    named('1.2.840.10008.1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video'),
    named('1.2.840.10008.1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio'),
    ts('1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression'),
    named('1.2.840.10008.1.20', 'Papyrus 3 Implicit VR Little Endian (retired)', false),
  ].map((t) => [t.uid, t]),
);

/** The transfer syntaxes Courier reads (`read`), in the table's order: what the accepter and the test PACS take. */
export const READ_TRANSFER_SYNTAXES: readonly string[] = [...TRANSFER_SYNTAXES.values()].filter((t) => t.read).map((t) => t.uid);

/** Facts about a transfer syntax; unknown UIDs are treated as explicit LE encapsulated (PS3.5 §A.4). */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo {
  return TRANSFER_SYNTAXES.get(uid) ?? named(uid, `Unknown (${uid})`);
}

/** A family of frame codecs (PS3.5 §8.2, Annex A.4). */
export type CodecFamily = 'rle' | 'jpeg' | 'jpegls' | 'j2k' | 'htj2k' | 'deflate';

/** Which codec family decodes the frames of an encapsulated transfer syntax, or null when Courier has none. */
export function codecFor(uid: string): CodecFamily | null {
  if (uid === '1.2.840.10008.1.2.5') return 'rle';
  if (['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70'].includes(uid)) return 'jpeg';
  if (uid === '1.2.840.10008.1.2.4.80' || uid === '1.2.840.10008.1.2.4.81') return 'jpegls';
  if (uid === '1.2.840.10008.1.2.4.90' || uid === '1.2.840.10008.1.2.4.91') return 'j2k';
  if (uid === '1.2.840.10008.1.2.4.201' || uid === '1.2.840.10008.1.2.4.202' || uid === '1.2.840.10008.1.2.4.203') return 'htj2k';
  // Deflated Image Frame Compression: each frame deflated on its own (raw deflate, RFC 1951).
  if (uid === '1.2.840.10008.1.2.8.1') return 'deflate';
  return null;
}
