/**
 * What the library keeps of a file's header: the attributes of the patient, study, series and
 * instance it belongs to (PS3.3 C.7 modules), read with the dataset's character set.
 */
import { createHash } from 'node:crypto';
import { asciiValue, DicomFileError, intValue, type ParsedHeader, textValue } from '../dicom/header.ts';
import { Tag } from '../dicom/tags.ts';
import type { InstanceRecord } from '../store/library.ts';

/**
 * Extracts the library's attributes; throws DicomFileError without a SOP Instance or Class UID. A
 * file without a Study or Series Instance UID is kept (pydicom reads it, the viewer shows it): the
 * store puts it in its patient's Unfiled group, and the soundness check (dicom/soundness.ts
 * unfiledProblem) is why send and export refuse it.
 */
export function summarize(h: ParsedHeader): InstanceRecord {
  const SOPInstanceUID = asciiValue(h, Tag.SOPInstanceUID) || (h.meta?.MediaStorageSOPInstanceUID ?? '');
  const SOPClassUID = asciiValue(h, Tag.SOPClassUID) || (h.meta?.MediaStorageSOPClassUID ?? '');
  const StudyInstanceUID = asciiValue(h, Tag.StudyInstanceUID);
  const SeriesInstanceUID = asciiValue(h, Tag.SeriesInstanceUID);
  const missing = [!SOPInstanceUID && 'SOP Instance UID (0008,0018)', !SOPClassUID && 'SOP Class UID (0008,0016)'].filter(Boolean);
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
    contentKey: contentKey(h),
  };
}

/**
 * What tells two files holding the same SOP Instance UID apart: SHA-256 of the dataset as far as the
 * header was read (up to Pixel Data's value; all of it without pixels) and the dataset's length.
 * Copies of a file agree (their meta headers may differ); a changed attribute or length does not.
 * Pixel values of the same length are not read, so files differing only there are not told apart.
 */
function contentKey(h: ParsedHeader): string {
  const pixel = h.dataSet.elements[Tag.PixelData] ?? h.dataSet.elements[Tag.FloatPixelData] ?? h.dataSet.elements[Tag.DoubleFloatPixelData];
  const end = pixel?.dataOffset ?? h.bytes.length;
  return createHash('sha256')
    .update(h.bytes.subarray(0, end))
    .update(`:${h.fileSize - h.datasetOffset}`)
    .digest('base64url')
    .slice(0, 22);
}
