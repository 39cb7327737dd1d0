/**
 * Directory records (PS3.3 Annex F): which record type each SOP class gets (F.4, F.5) and which keys
 * each record type carries, with their types. One table, like fo-dicom's DicomDirectoryRecordType.
 */
import { ascii, find, textElement, type Element } from '../dicom/dataset.ts';

/** How a key is required in a record (PS3.3 F.5): 1 present with a value, 2 present, 1C/3 when the file has it. */
export type KeyType = '1' | '2' | '1C' | '3';

/** One key of a record type. */
export interface Key {
  tag: number;
  vr: string;
  type: KeyType;
  name: string;
}

const k = (tag: number, vr: string, type: KeyType, name: string): Key => ({ tag, vr, type, name });

const CHARSET = k(0x00080005, 'CS', '1C', 'Specific Character Set');
const INSTANCE_NUMBER = k(0x00200013, 'IS', '1', 'Instance Number');
const CONTENT_DATE = k(0x00080023, 'DA', '1', 'Content Date');
const CONTENT_TIME = k(0x00080033, 'TM', '1', 'Content Time');
const CONCEPT_NAME = k(0x0040a043, 'SQ', '1', 'Concept Name Code Sequence');
const CONTENT_LABEL = k(0x00700080, 'CS', '1', 'Content Label');
const CONTENT_DESCRIPTION = k(0x00700081, 'LO', '2', 'Content Description');
const CONTENT_CREATOR = k(0x00700084, 'PN', '2', "Content Creator's Name");
/** Keys of records that carry only their content's date and time (WAVEFORM, RAW DATA, MEASUREMENT). */
const DATED_CONTENT = [CHARSET, CONTENT_DATE, CONTENT_TIME, INSTANCE_NUMBER];
/** The keys of the records whose objects carry a content label (registration, fiducials, value maps, surfaces). */
const LABELLED_CONTENT = [...DATED_CONTENT, CONTENT_LABEL, CONTENT_DESCRIPTION, CONTENT_CREATOR];

/** Keys of each record type (PS3.3 F.5.1–F.5.x), in tag order. Only the keys the tables list: optional extras
 * make validators (dciodvfy) warn and readers do not use them. */
export const RECORD_KEYS: Record<string, Key[]> = {
  PATIENT: [CHARSET, k(0x00100010, 'PN', '2', "Patient's Name"), k(0x00100020, 'LO', '1', 'Patient ID')],
  STUDY: [
    CHARSET,
    k(0x00080020, 'DA', '1', 'Study Date'),
    k(0x00080030, 'TM', '1', 'Study Time'),
    k(0x00080050, 'SH', '2', 'Accession Number'),
    k(0x00081030, 'LO', '2', 'Study Description'),
    k(0x0020000d, 'UI', '1', 'Study Instance UID'),
    k(0x00200010, 'SH', '1', 'Study ID'),
  ],
  SERIES: [
    CHARSET,
    k(0x00080060, 'CS', '1', 'Modality'),
    k(0x0020000e, 'UI', '1', 'Series Instance UID'),
    k(0x00200011, 'IS', '1', 'Series Number'),
  ],
  IMAGE: [CHARSET, INSTANCE_NUMBER],
  'RT DOSE': [CHARSET, INSTANCE_NUMBER, k(0x3004000a, 'CS', '1', 'Dose Summation Type'), k(0x30040006, 'LO', '3', 'Dose Comment')],
  'RT STRUCTURE SET': [
    CHARSET,
    INSTANCE_NUMBER,
    k(0x30060002, 'SH', '1', 'Structure Set Label'),
    k(0x30060008, 'DA', '2', 'Structure Set Date'),
    k(0x30060009, 'TM', '2', 'Structure Set Time'),
  ],
  'RT PLAN': [CHARSET, INSTANCE_NUMBER, k(0x300a0002, 'SH', '1', 'RT Plan Label'), k(0x300a0006, 'DA', '2', 'RT Plan Date'), k(0x300a0007, 'TM', '2', 'RT Plan Time')],
  'RT TREAT RECORD': [CHARSET, INSTANCE_NUMBER, k(0x30080250, 'DA', '2', 'Treatment Date'), k(0x30080251, 'TM', '2', 'Treatment Time')],
  PRESENTATION: [
    CHARSET,
    k(0x00081115, 'SQ', '1C', 'Referenced Series Sequence'),
    INSTANCE_NUMBER,
    CONTENT_LABEL,
    CONTENT_DESCRIPTION,
    k(0x00700082, 'DA', '1', 'Presentation Creation Date'),
    k(0x00700083, 'TM', '1', 'Presentation Creation Time'),
    CONTENT_CREATOR,
    k(0x00700402, 'SQ', '1C', 'Blending Sequence'),
  ],
  'SR DOCUMENT': [
    CHARSET,
    CONTENT_DATE,
    CONTENT_TIME,
    INSTANCE_NUMBER,
    k(0x0040a030, 'DT', '1C', 'Verification DateTime'),
    CONCEPT_NAME,
    k(0x0040a491, 'CS', '1', 'Completion Flag'),
    k(0x0040a493, 'CS', '1', 'Verification Flag'),
  ],
  'KEY OBJECT DOC': [CHARSET, CONTENT_DATE, CONTENT_TIME, INSTANCE_NUMBER, CONCEPT_NAME],
  WAVEFORM: DATED_CONTENT,
  'ENCAP DOC': [
    CHARSET,
    { ...CONTENT_DATE, type: '2' },
    { ...CONTENT_TIME, type: '2' },
    INSTANCE_NUMBER,
    { ...CONCEPT_NAME, type: '2' },
    k(0x0040e001, 'ST', '1C', 'HL7 Instance Identifier'),
    k(0x00420010, 'ST', '2', 'Document Title'),
    k(0x00420012, 'LO', '1', 'MIME Type of Encapsulated Document'),
  ],
  'RAW DATA': DATED_CONTENT,
  REGISTRATION: LABELLED_CONTENT,
  FIDUCIAL: LABELLED_CONTENT,
  'VALUE MAP': LABELLED_CONTENT,
  SURFACE: LABELLED_CONTENT,
  MEASUREMENT: DATED_CONTENT,
  STEREOMETRIC: [CHARSET],
  SPECTROSCOPY: [
    CHARSET,
    k(0x00080008, 'CS', '1', 'Image Type'),
    CONTENT_DATE,
    CONTENT_TIME,
    INSTANCE_NUMBER,
    k(0x00280008, 'IS', '1', 'Number of Frames'),
    k(0x00280010, 'US', '1', 'Rows'),
    k(0x00280011, 'US', '1', 'Columns'),
    k(0x00289001, 'UL', '1', 'Data Point Rows'),
    k(0x00289002, 'UL', '1', 'Data Point Columns'),
  ],
};

const SOP = '1.2.840.10008.5.1.4.1.1.';

/** The record type for a SOP class (PS3.3 F.4, Table F.4-1; PS3.4 B.5); IMAGE for image storage. */
export function recordTypeFor(sopClassUid: string, hasPixels: boolean): string {
  if (sopClassUid.startsWith(SOP)) {
    const rest = sopClassUid.slice(SOP.length);
    const exact: Record<string, string> = {
      '481.2': 'RT DOSE',
      '481.3': 'RT STRUCTURE SET',
      '481.5': 'RT PLAN',
      '481.8': 'RT PLAN',
      '481.4': 'RT TREAT RECORD',
      '481.6': 'RT TREAT RECORD',
      '481.7': 'RT TREAT RECORD',
      '481.9': 'RT TREAT RECORD',
      '88.59': 'KEY OBJECT DOC',
      '66': 'RAW DATA',
      '66.1': 'REGISTRATION',
      '66.3': 'REGISTRATION',
      '66.2': 'FIDUCIAL',
      '66.5': 'SURFACE',
      '67': 'VALUE MAP',
      '4.2': 'SPECTROSCOPY',
      '77.1.5.3': 'STEREOMETRIC',
    };
    if (exact[rest]) return exact[rest];
    if (rest.startsWith('88.')) return 'SR DOCUMENT';
    if (rest.startsWith('11.')) return 'PRESENTATION';
    if (rest.startsWith('9.')) return 'WAVEFORM';
    if (rest.startsWith('104.')) return 'ENCAP DOC';
    if (/^78\.[1-8]$/.test(rest)) return 'MEASUREMENT';
  }
  // Every other storage class with pixels is an image; without, the closest generic record holds it.
  return hasPixels ? 'IMAGE' : 'RAW DATA';
}

/** A key that was missing from a source file and filled as the standard allows; reported to the user. */
export interface FilledKey {
  record: string;
  key: string;
  value: string;
  /** The file whose record got the value. */
  path: string;
}

/** MIME types of the encapsulated document classes (PS3.3 A.45). */
const MIME: Record<string, string> = {
  [`${SOP}104.1`]: 'application/pdf',
  [`${SOP}104.2`]: 'text/XML',
  [`${SOP}104.3`]: 'model/stl',
  [`${SOP}104.4`]: 'model/obj',
  [`${SOP}104.5`]: 'model/mtl',
};

/** Today as DA, for dates that no source attribute can supply. */
const today = () => new Date().toISOString().slice(0, 10).replace(/-/g, '');

/** Builds the key elements of a record of `type` from the source's top-level elements.
 * `fallback` supplies a value for a missing Type 1 key (or null when it cannot be filled). */
export function recordKeys(
  type: string,
  src: readonly Element[],
  fallback: (key: Key) => string | null,
  onFilled: (key: Key, value: string) => void,
): Element[] {
  const out: Element[] = [];
  for (const key of RECORD_KEYS[type] ?? []) {
    const el = find(src, key.tag);
    const empty = !el || (el.value !== undefined && !el.value.some((b) => b !== 0x20 && b !== 0)) || (el.items !== undefined && el.items.length === 0);
    if (key === CHARSET) {
      const cs = ascii(src, key.tag);
      if (cs && cs !== 'ISO_IR 6') out.push(el!);
      continue;
    }
    const fixed = !empty && (key.vr === 'DA' || key.vr === 'TM') ? normalizeDateTime(key.vr, ascii(src, key.tag)) : null;
    if (!empty && fixed === null) {
      out.push(el!);
    } else if (fixed) {
      // An old ACR-NEMA form (1997.04.24, 14:04:38) is written in the form PS3.5 §6.2 allows, and reported.
      out.push(textElement(key.tag, key.vr, fixed));
      onFilled(key, fixed);
    } else if (key.type === '1') {
      let value = fallback(key);
      if (value !== null && (key.vr === 'DA' || key.vr === 'TM')) {
        const n = normalizeDateTime(key.vr, value);
        if (n !== null) value = n || (key.vr === 'DA' ? today() : '000000');
      }
      if (value !== null) {
        out.push(textElement(key.tag, key.vr, value));
        onFilled(key, value);
      }
    } else if (key.type === '2') {
      out.push(key.vr === 'SQ' ? { tag: key.tag, vr: 'SQ', items: [] } : { tag: key.tag, vr: key.vr, value: new Uint8Array(0) });
    }
  }
  return out;
}

/** null when a DA/TM value is valid as it is; the corrected value for an old form; '' when it is not a date/time. */
export function normalizeDateTime(vr: 'DA' | 'TM', value: string): string | null {
  if (vr === 'DA') {
    if (/^\d{8}$/.test(value)) return null;
    const m = /^(\d{4})[.-](\d{2})[.-](\d{2})$/.exec(value);
    return m ? m[1] + m[2] + m[3] : '';
  }
  if (/^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(value)) return null;
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$/.exec(value);
  return m ? m[1] + m[2] + (m[3] ?? '') + (m[4] ?? '') : '';
}

/** Values for missing Type 1 instance-level keys, from related attributes of the same file (else a neutral default). */
export function instanceFallback(src: readonly Element[], ordinal: number, sopClassUid: string): (key: Key) => string | null {
  const first = (...tags: number[]) => tags.map((t) => ascii(src, t)).find((v) => v) ?? '';
  return (key) => {
    switch (key.tag) {
      case 0x00200013:
        return String(ordinal);
      case 0x00080023:
      case 0x00700082:
        return first(0x00080023, 0x00080012, 0x00080022, 0x00080021, 0x00080020) || today();
      case 0x00080033:
      case 0x00700083:
        return first(0x00080033, 0x00080013, 0x00080032, 0x00080031, 0x00080030) || '000000';
      case 0x00700080:
        return 'UNNAMED';
      case 0x0040a491:
        return 'PARTIAL';
      case 0x0040a493:
        return 'UNVERIFIED';
      case 0x30060002:
      case 0x300a0002:
        return 'UNNAMED';
      case 0x00420012:
        return MIME[sopClassUid] ?? 'application/octet-stream';
      default:
        return null;
    }
  };
}

/** Values for missing Type 1 patient, study and series keys. */
export function entityFallback(src: readonly Element[], ordinal: number, patientKey: string): (key: Key) => string | null {
  const first = (...tags: number[]) => tags.map((t) => ascii(src, t)).find((v) => v) ?? '';
  return (key) => {
    switch (key.tag) {
      case 0x00100020: {
        // No Patient ID: a stable one from the name, so the same patient gets the same ID on every export.
        let h = 0;
        for (const c of patientKey) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
        return `NOID${h.toString(16).toUpperCase().padStart(8, '0')}`;
      }
      case 0x00080020:
        return first(0x00080021, 0x00080022, 0x00080023, 0x00080012) || today();
      case 0x00080030:
        return first(0x00080031, 0x00080032, 0x00080033, 0x00080013) || '000000';
      case 0x00200010:
        return String(ordinal);
      case 0x00080060:
        return 'OT';
      case 0x00200011:
        return String(ordinal);
      default:
        return null;
    }
  };
}
