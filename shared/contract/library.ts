/**
 * The library: what has been indexed, browsed as patients → studies → series → instances.
 * Field names keep DICOM keywords (PatientName) beside camelCase app fields (studyCount).
 */
import { int, none, object, optional, str } from '../validate.ts';
import { channel } from './channel.ts';
import type { JobStarted } from './jobs.ts';

/** One error met while indexing: which file and what was wrong, for a person. */
export interface IndexError {
  path: string;
  message: string;
}

/** The result of indexing a folder (also `courier index --json`). */
export interface IndexSummary {
  patients: number;
  /** Studies with a Study Instance UID (not the Unfiled groups); so for series. */
  studies: number;
  series: number;
  instances: number;
  /** Instances without a Study or Series Instance UID: in their patient's Unfiled group, viewable, never sent or exported. */
  unfiled: number;
  errors: IndexError[];
  /** Files read this time (not unchanged since the last index). */
  filesRead: number;
  /** Files skipped because size and mtime were unchanged. */
  filesUnchanged: number;
}

/** A patient row in the library. */
export interface PatientRow {
  id: number;
  PatientID: string;
  PatientName: string;
  PatientBirthDate: string;
  PatientSex: string;
  studyCount: number;
  /** Studies of this patient whose files name another Patient ID too (see LibraryConflict). */
  conflicts: number;
}

/** A study row. */
export interface StudyRow {
  id: number;
  patientId: number;
  /** '' for the patient's Unfiled study: files without a Study Instance UID. */
  StudyInstanceUID: string;
  /** Files without a Study Instance UID: viewable, never sent or exported. */
  unfiled: boolean;
  StudyDate: string;
  StudyTime: string;
  StudyDescription: string;
  AccessionNumber: string;
  StudyID: string;
  modalities: string;
  seriesCount: number;
  instanceCount: number;
  /** How many other Patient IDs the files of this study name (0: none; see LibraryConflict). */
  otherPatients: number;
  /** Instances of this study whose files hold different contents. */
  contentConflicts: number;
}

/** A series row. */
export interface SeriesRow {
  id: number;
  studyId: number;
  /** '' for an Unfiled series: files without a Series Instance UID. */
  SeriesInstanceUID: string;
  unfiled: boolean;
  Modality: string;
  SeriesNumber: number | null;
  SeriesDescription: string;
  instanceCount: number;
  /** Instances of this series whose files hold different contents. */
  contentConflicts: number;
}

/** An instance row; `frames` is NumberOfFrames (1 when absent). */
export interface InstanceRow {
  id: number;
  seriesId: number;
  SOPInstanceUID: string;
  SOPClassUID: string;
  InstanceNumber: number | null;
  Rows: number | null;
  Columns: number | null;
  frames: number;
  TransferSyntaxUID: string;
  /** False for SR, RT, waveform and other objects without Pixel Data. */
  hasPixels: boolean;
  /** Files holding this SOP Instance UID. */
  files: number;
  /** Distinct contents among those files: more than 1 is a conflict (see LibraryConflict). */
  contentVersions: number;
}

/** One file in a content conflict: which of the differing contents (`version` 1, 2 …) it holds. */
export interface ConflictFile {
  path: string;
  size: number;
  PatientID: string;
  PatientName: string;
  version: number;
}

/**
 * A UID the library's files use for two different things. Courier shows it and never decides
 * silently: the study stays under the patient first indexed (its other files named here), and an
 * instance's files stay apart (send and deletion act on the file chosen, never on another copy).
 */
export type LibraryConflict =
  | {
      kind: 'patients';
      studyId: number;
      patientId: number;
      StudyInstanceUID: string;
      StudyDate: string;
      StudyDescription: string;
      /** Each Patient ID (and name) the study's files name, with how many files and one of them. */
      claims: { PatientID: string; PatientName: string; files: number; example: string }[];
    }
  | { kind: 'content'; instanceId: number; SOPInstanceUID: string; seriesId: number; studyId: number; patientId: number; files: ConflictFile[] };

const id = int(1);
const filterText = optional(str({ max: 200 }));

/** Library channels. */
export const libraryChannels = {
  /** Starts indexing a folder, DICOMDIR or CD root; progress and the IndexSummary come as job events. */
  'library.index': channel<JobStarted>()(object({ path: str({ min: 1, max: 4096 }) })),
  'library.patients': channel<PatientRow[]>()(object({ filter: filterText })),
  'library.studies': channel<StudyRow[]>()(object({ patientId: id })),
  'library.series': channel<SeriesRow[]>()(object({ studyId: id })),
  'library.instances': channel<InstanceRow[]>()(object({ seriesId: id })),
  'library.counts': channel<{ patients: number; studies: number; series: number; instances: number; unfiled: number }>()(none),
  /** UIDs the library's files use for two different things (same Study UID, other Patient ID; same SOP Instance UID, other content). */
  'library.conflicts': channel<LibraryConflict[]>()(none),
};
