/**
 * What the library keeps of a file's header: the attributes of the patient, study, series and
 * instance it belongs to (PS3.3 C.7 modules), read with the dataset's character set.
 */
import { asciiValue, DicomFileError, intValue, type ParsedHeader, textValue } from '../dicom/header.ts';
import { Tag } from '../dicom/tags.ts';
import type { InstanceRecord } from '../store/library.ts';

/** Extracts the library's attributes; throws DicomFileError when a key UID is missing. */
export function summarize(h: ParsedHeader): InstanceRecord {
  const SOPInstanceUID = asciiValue(h, Tag.SOPInstanceUID) || (h.meta?.MediaStorageSOPInstanceUID ?? '');
  const SOPClassUID = asciiValue(h, Tag.SOPClassUID) || (h.meta?.MediaStorageSOPClassUID ?? '');
  const StudyInstanceUID = asciiValue(h, Tag.StudyInstanceUID);
  const SeriesInstanceUID = asciiValue(h, Tag.SeriesInstanceUID);
  const missing = [
    !SOPInstanceUID && 'SOP Instance UID (0008,0018)',
    !SOPClassUID && 'SOP Class UID (0008,0016)',
    !StudyInstanceUID && 'Study Instance UID (0020,000D)',
    !SeriesInstanceUID && 'Series Instance UID (0020,000E)',
  ].filter(Boolean);
  if (missing.length) throw new DicomFileError(`The file has no ${missing.join(', ')}, so it cannot be placed in a study`);
  return {
    PatientID: textValue(h, Tag.PatientID),
    PatientName: textValue(h, Tag.PatientName, true),
    PatientBirthDate: asciiValue(h, Tag.PatientBirthDate),
    PatientSex: asciiValue(h, Tag.PatientSex),
    StudyInstanceUID,
    StudyDate: asciiValue(h, Tag.StudyDate),
    StudyTime: asciiValue(h, Tag.StudyTime),
    StudyDescription: textValue(h, Tag.StudyDescription),
    AccessionNumber: textValue(h, Tag.AccessionNumber),
    StudyID: textValue(h, Tag.StudyID),
    ReferringPhysicianName: textValue(h, Tag.ReferringPhysicianName, true),
    SeriesInstanceUID,
    Modality: asciiValue(h, Tag.Modality),
    SeriesNumber: intValue(h, Tag.SeriesNumber, 'IS'),
    SeriesDescription: textValue(h, Tag.SeriesDescription),
    BodyPartExamined: asciiValue(h, Tag.BodyPartExamined),
    SOPInstanceUID,
    SOPClassUID,
    InstanceNumber: intValue(h, Tag.InstanceNumber, 'IS'),
    Rows: intValue(h, Tag.Rows, 'US'),
    Columns: intValue(h, Tag.Columns, 'US'),
    NumberOfFrames: Math.max(1, intValue(h, Tag.NumberOfFrames, 'IS') ?? 1),
    hasPixels: h.hasPixels,
    TransferSyntaxUID: h.transferSyntaxUID,
    datasetOffset: h.datasetOffset,
    hasPart10Header: h.hasPart10Header,
  };
}
