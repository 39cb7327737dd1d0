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
}

const ts = (uid: string, name: string, encapsulated = true, lossy = false): TransferSyntaxInfo => ({
  uid,
  name,
  explicitVr: uid !== IMPLICIT_LE,
  littleEndian: uid !== EXPLICIT_BE,
  encapsulated,
  lossy,
  deflated: uid === DEFLATED_LE,
});

/** Every transfer syntax Courier names, keyed by UID. */
export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntaxInfo> = new Map(
  [
    ts(IMPLICIT_LE, 'Implicit VR Little Endian', false),
    ts(EXPLICIT_LE, 'Explicit VR Little Endian', false),
    ts(DEFLATED_LE, 'Deflated Explicit VR Little Endian', false),
    ts(EXPLICIT_BE, 'Explicit VR Big Endian', false),
    ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', true, true),
    ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', true, true),
    ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)'),
    ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction'),
    ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'),
    ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', true, true),
    ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)'),
    ts('1.2.840.10008.1.2.4.91', 'JPEG 2000', true, true),
    ts('1.2.840.10008.1.2.4.201', 'HTJ2K (Lossless Only)'),
    ts('1.2.840.10008.1.2.4.202', 'HTJ2K with RPCL (Lossless Only)'),
    ts('1.2.840.10008.1.2.4.203', 'HTJ2K', true, true),
    ts('1.2.840.10008.1.2.5', 'RLE Lossless'),
    ts('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile', true, true),
    ts('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264', true, true),
  ].map((t) => [t.uid, t]),
);

/** Facts about a transfer syntax; unknown UIDs are treated as explicit LE encapsulated (PS3.5 §A.4). */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo {
  return TRANSFER_SYNTAXES.get(uid) ?? { ...ts(uid, `Unknown (${uid})`), lossy: false };
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
