/**
 * Export to CD/USB: build a DICOMDIR file-set (PS3.10, PS3.11) from library selections, as a job.
 */
import { arrayOf, bool, int, none, object, oneOf, optional, str } from '../validate.ts';
import { channel } from './channel.ts';
import type { JobStarted } from './jobs.ts';

/** The media application profiles Courier writes (PS3.11). */
export const EXPORT_PROFILES = ['STD-GEN-CD', 'STD-GEN-DVD-JPEG', 'STD-GEN-USB-JPEG', 'STD-GEN-DVD-J2K', 'STD-GEN-USB-J2K'] as const;
/** A profile id. */
export type ExportProfile = (typeof EXPORT_PROFILES)[number];

/** A file that could not be exported (or could not be transcoded), with the reason for a person. */
export interface ExportError {
  path: string;
  message: string;
}

/** A Type 1 directory key missing from a source file, filled as PS3.3 Annex F allows. */
export interface ExportFilledKey {
  record: string;
  key: string;
  value: string;
  path: string;
}

/** The result of an export (also `courier dicomdir --json`, plus the extra fields). */
export interface ExportResult {
  dicomdir: string;
  profile: string;
  instances: number;
  /** Files whose transfer syntax changed (re-encoded or decompressed). */
  transcoded: number;
  /** Files passed over because they are not DICOM at all (only a folder export can have any). */
  skipped?: number;
  errors: ExportError[];
  /** What was transcoded, per file: "decompressed from JPEG Baseline (lossy original …)". */
  notes: ExportError[];
  filled: ExportFilledKey[];
  fileSetId: string;
  /** The ISO 9660 image, when one was asked for. */
  iso?: string;
  bytes: number;
  seconds: number;
}

/** Is an ISO image maker available, and how to get one if not. */
export interface IsoSupport {
  available: boolean;
  tool: string | null;
  hint: string;
}

const ids = optional(arrayOf(int(1), 100_000));

/** Export channels. */
export const exportChannels = {
  /** Starts an export; progress and the ExportResult come as job events. */
  'export.start': channel<JobStarted>()(
    object({
      patientIds: ids,
      studyIds: ids,
      seriesIds: ids,
      out: str({ min: 1, max: 4096 }),
      profile: optional(oneOf(...EXPORT_PROFILES)),
      fileSetId: optional(str({ max: 16, pattern: /^[A-Z0-9_ ]*$/, label: 'File-set ID (A–Z, 0–9, _ and space)' })),
      iso: optional(bool),
    }),
  ),
  'export.profiles': channel<{ id: ExportProfile; title: string }[]>()(none),
  'export.isoSupport': channel<IsoSupport>()(none),
};
