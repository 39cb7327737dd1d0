/**
 * Courier's implementation identity, the same in association negotiation (PS3.7 §D.3.3.2) and in
 * the File Meta Information of files it writes (PS3.10 §7.1).
 */

/** Implementation Class UID, under the 2.25 UUID root (PS3.5 §B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.178382561737153926383497626512446152793';
/** Implementation Version Name (SH, at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = 'COURIER_010';
