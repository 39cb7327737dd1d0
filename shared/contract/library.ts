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
  studies: number;
  series: number;
  instances: number;
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
}

/** A study row. */
export interface StudyRow {
  id: number;
  patientId: number;
  StudyInstanceUID: string;
  StudyDate: string;
  StudyTime: string;
  StudyDescription: string;
  AccessionNumber: string;
  StudyID: string;
  modalities: string;
  seriesCount: number;
  instanceCount: number;
}

/** A series row. */
export interface SeriesRow {
  id: number;
  studyId: number;
  SeriesInstanceUID: string;
  Modality: string;
  SeriesNumber: number | null;
  SeriesDescription: string;
  instanceCount: number;
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
}

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
  'library.counts': channel<{ patients: number; studies: number; series: number; instances: number }>()(none),
};
