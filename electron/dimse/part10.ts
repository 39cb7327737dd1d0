/**
 * Writing a received dataset as a DICOM Part 10 file (PS3.10 §7.1): preamble, "DICM", File Meta
 * Information in Explicit VR Little Endian, then the dataset bytes exactly as received.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { encodeDataset } from './dataset.ts';
import { EXPLICIT_LE } from '../dicom/transferSyntax.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION } from './pdu.ts';

/** The identifiers that go into the meta header. */
export interface Part10Meta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAe?: string;
}

/** Encodes the preamble, "DICM" and the File Meta Information group. */
export function part10Header(meta: Part10Meta): Buffer {
  const body = encodeDataset(
    {
      FileMetaInformationVersion: new Uint8Array([0, 1]),
      MediaStorageSOPClassUID: meta.sopClassUid,
      MediaStorageSOPInstanceUID: meta.sopInstanceUid,
      TransferSyntaxUID: meta.transferSyntaxUid,
      ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
      ImplementationVersionName: IMPLEMENTATION_VERSION,
      ...(meta.sourceAe ? { SourceApplicationEntityTitle: meta.sourceAe.trim() } : {}),
    },
    EXPLICIT_LE,
  );
  const groupLength = encodeDataset({ FileMetaInformationGroupLength: body.length }, EXPLICIT_LE);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, body]);
}

/** Writes `dest` = meta header + the dataset bytes of `datasetPath`, copied in 1 MiB pieces. */
export function writePart10File(datasetPath: string, dest: string, meta: Part10Meta): void {
  const out = openSync(dest, 'wx');
  try {
    writeSync(out, part10Header(meta));
    const input = openSync(datasetPath, 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let pos = 0; ; ) {
        const n = readSync(input, buf, 0, buf.length, pos);
        if (n <= 0) break;
        writeSync(out, buf, 0, n);
        pos += n;
      }
    } finally {
      closeSync(input);
    }
  } finally {
    closeSync(out);
  }
}
