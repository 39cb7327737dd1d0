/**
 * Media application profiles (PS3.11): which transfer syntaxes a file-set may hold. Every General
 * Purpose profile allows Explicit VR Little Endian; the DVD/USB ones add compressed syntaxes.
 */
import { EXPLICIT_LE } from '../dicom/transferSyntax.ts';

/** A profile Courier can write. */
export interface Profile {
  id: string;
  title: string;
  /** Transfer syntaxes a file may keep; anything else is re-encoded (and decompressed) to Explicit VR LE. */
  transferSyntaxes: ReadonlySet<string>;
}

const JPEG = ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70'];
const J2K = ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91'];

/** The profiles, by id (PS3.11 Annexes D, and the General Purpose DVD/USB profiles with JPEG and JPEG 2000). */
export const PROFILES: ReadonlyMap<string, Profile> = new Map(
  [
    { id: 'STD-GEN-CD', title: 'General Purpose CD-R Interchange (uncompressed)', transferSyntaxes: new Set([EXPLICIT_LE]) },
    { id: 'STD-GEN-DVD-JPEG', title: 'General Purpose DVD Interchange with JPEG', transferSyntaxes: new Set([EXPLICIT_LE, ...JPEG]) },
    { id: 'STD-GEN-USB-JPEG', title: 'General Purpose USB Media Interchange with JPEG', transferSyntaxes: new Set([EXPLICIT_LE, ...JPEG]) },
    { id: 'STD-GEN-DVD-J2K', title: 'General Purpose DVD Interchange with JPEG 2000', transferSyntaxes: new Set([EXPLICIT_LE, ...J2K]) },
    { id: 'STD-GEN-USB-J2K', title: 'General Purpose USB Media Interchange with JPEG 2000', transferSyntaxes: new Set([EXPLICIT_LE, ...J2K]) },
  ].map((p) => [p.id, p]),
);

/** The default profile. */
export const DEFAULT_PROFILE = 'STD-GEN-CD';
