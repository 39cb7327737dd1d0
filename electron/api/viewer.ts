/**
 * Viewer channels: the tag browser's element tree, decoded here in the main process (dicom-parser
 * over the whole file, names from dcmjs's dictionary) and sent to the renderer as plain data.
 */
import { fsReason, readRegularFile } from '../dicom/files.ts';
import { dcmjs } from '../dicom/dcmjs.ts';
import dicomParser from 'dicom-parser';
import type { TagNode, TagTree } from '../../shared/contract/index.ts';
import { CourierError } from '../../shared/errors.ts';
import { charsetDecoder, type TextDecoderFn } from '../dicom/charset.ts';
import { inflateDataset, parseHeaderBytes } from '../dicom/header.ts';
import { DEFLATED_LE, EXPLICIT_LE, IMPLICIT_LE } from '../dicom/transferSyntax.ts';
import type { Services } from '../services.ts';
import { seriesParents } from '../store/viewer.ts';
import type { Handlers } from './handlers.ts';
import { plural } from '../../shared/words.ts';

/** Handlers of the viewer channels. */
export function viewerHandlers(services: Services): Handlers<'viewer.tags' | 'viewer.series'> {
  return {
    'viewer.series': ({ seriesId }) => {
      const parents = seriesParents(services.db, seriesId);
      const patient = parents && services.library.patients().find((p) => p.id === parents.patientId);
      const study = parents && services.library.studies(parents.patientId).find((s) => s.id === parents.studyId);
      const series = parents && services.library.series(parents.studyId).find((s) => s.id === seriesId);
      if (!patient || !study || !series) throw new CourierError('NOT_FOUND', `No series ${seriesId} in the library`);
      return { patient, study, series };
    },
    'viewer.tags': ({ instanceId }) => {
      const file = services.library.fileOfInstance(instanceId);
      if (!file) throw new CourierError('NOT_FOUND', `No instance ${instanceId} in the library`);
      let bytes: Uint8Array;
      try {
        bytes = readRegularFile(file.path);
      } catch (err) {
        throw new CourierError('IO', `The file of instance ${instanceId} is no longer readable: ${fsReason(err)}`);
      }
      return { instanceId, ...tagTree(bytes) };
    },
  };
}

interface DictEntry {
  vr: string;
  name: string;
}
// Loaded untyped (dcmjs ships no declarations); only its dictionary is used here.
const dictionary = () => dcmjs().data.DicomMetaDictionary.dictionary as Record<string, DictEntry | undefined>;

/** "(gggg,eeee)" from dicom-parser's "xggggeeee". */
const displayTag = (t: string) => `(${t.slice(1, 5).toUpperCase()},${t.slice(5, 9).toUpperCase()})`;
const lookup = (t: string): DictEntry | undefined => {
  const hit = dictionary()[displayTag(t)];
  if (hit) return hit;
  // Repeating groups (50xx, 60xx) and group lengths.
  if (t.slice(5) === '0000') return { vr: 'UL', name: 'GroupLength' };
  if (/^x60[0-9a-f]{2}/i.test(t)) return dictionary()[`(60xx,${t.slice(5, 9).toUpperCase()})`];
  if (/^x50[0-9a-f]{2}/i.test(t)) return dictionary()[`(50xx,${t.slice(5, 9).toUpperCase()})`];
  return undefined;
};

const MAX_TEXT = 1024;
const MAX_VALUES = 64;
const NUMERIC: Record<string, { size: number; read: (ds: dicomParser.DataSet, tag: string, i: number) => number | undefined }> = {
  US: { size: 2, read: (ds, t, i) => ds.uint16(t, i) },
  SS: { size: 2, read: (ds, t, i) => ds.int16(t, i) },
  UL: { size: 4, read: (ds, t, i) => ds.uint32(t, i) },
  SL: { size: 4, read: (ds, t, i) => ds.int32(t, i) },
  FL: { size: 4, read: (ds, t, i) => ds.float(t, i) },
  FD: { size: 8, read: (ds, t, i) => ds.double(t, i) },
};
const TEXT_VRS = new Set('AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT'.split(' '));

/** Decodes every element of a DICOM file (Part 10 or bare dataset) into a tree for the tag browser. */
export function tagTree(bytes: Uint8Array): Omit<TagTree, 'instanceId'> {
  let header;
  try {
    header = parseHeaderBytes(bytes, bytes.length, true);
  } catch (err) {
    throw new CourierError('DICOM', (err as Error).message);
  }
  const encoding = header.actualEncoding ?? (header.transferSyntaxUID || IMPLICIT_LE);
  const vrCallback = (t: string) => lookup(t)?.vr?.split('|')[0] ?? 'UN';
  let dataSet: dicomParser.DataSet;
  let note: TagNode | null = null;
  try {
    dataSet =
      header.transferSyntaxUID === DEFLATED_LE
        ? fullDeflated(bytes.subarray(header.datasetOffset), vrCallback)
        : dicomParser.parseDicom(bytes.subarray(header.datasetOffset), { TransferSyntaxUID: encoding, vrCallback });
  } catch (err) {
    // dicom-parser hands back what it read before the failure: show that, and say why it stops.
    const partial = (err as { dataSet?: dicomParser.DataSet }).dataSet;
    const message = typeof err === 'string' ? err : ((err as { exception?: string }).exception ?? (err as Error).message ?? String(err));
    if (!partial) throw new CourierError('DICOM', `The file could not be parsed: ${message}`);
    dataSet = partial;
    note = { tag: '', name: 'Parsing stopped here', vr: '', length: 0, value: String(message), private: false };
  }
  let meta: TagNode[] = [];
  if (header.hasPart10Header) {
    try {
      meta = nodes(dicomParser.readPart10Header(bytes), charsetDecoder(undefined));
    } catch {
      meta = [];
    }
  }
  const text = charsetDecoder(dataSet.string('x00080005'));
  const elements = nodes(dataSet, text).filter((n) => !n.tag.startsWith('(0002,'));
  if (note) elements.push(note);
  return { transferSyntaxUID: header.transferSyntaxUID, meta, elements };
}

/** A deflated dataset, inflated within what its header declares (inflateDataset) and read as Explicit VR Little Endian (PS3.5 §A.5). */
function fullDeflated(deflated: Uint8Array, vrCallback: (t: string) => string): dicomParser.DataSet {
  let inflated: Uint8Array;
  try {
    inflated = inflateDataset(deflated);
  } catch (err) {
    throw new CourierError('DICOM', (err as Error).message);
  }
  return dicomParser.parseDicom(inflated, { TransferSyntaxUID: EXPLICIT_LE, vrCallback });
}

function nodes(ds: dicomParser.DataSet, text: TextDecoderFn): TagNode[] {
  const out: TagNode[] = [];
  const creators = new Map<string, string>();
  for (const t of Object.keys(ds.elements).sort()) {
    const el = ds.elements[t];
    const group = parseInt(t.slice(1, 5), 16);
    const elem = parseInt(t.slice(5, 9), 16);
    const isPrivate = group % 2 === 1;
    let name: string;
    let dictVr: string | undefined;
    if (isPrivate) {
      if (elem >= 0x10 && elem <= 0xff) {
        name = 'PrivateCreator';
        dictVr = 'LO';
        creators.set(`${t.slice(1, 5)}${t.slice(7, 9)}`, (ds.string(t) ?? '').trim());
      } else {
        const creator = creators.get(`${t.slice(1, 5)}${t.slice(5, 7)}`);
        name = creator ? `Private (${creator})` : 'Private';
      }
    } else {
      const d = lookup(t);
      name = d?.name ?? '';
      dictVr = d?.vr?.split('|')[0];
    }
    const vr = el.vr ?? (el.items ? 'SQ' : dictVr ?? 'UN');
    const node: TagNode = { tag: displayTag(t), name, vr, length: el.hadUndefinedLength ? -1 : el.length, value: '', private: isPrivate };
    if (el.items) {
      node.vr = 'SQ';
      node.items = el.items.map((item) => (item.dataSet ? nodes(item.dataSet, text) : []));
      node.value = `${el.items.length} item${el.items.length === 1 ? '' : 's'}`;
    } else {
      node.value = valueOf(ds, el, vr, text);
    }
    out.push(node);
  }
  return out;
}

function valueOf(ds: dicomParser.DataSet, el: dicomParser.Element, vr: string, text: TextDecoderFn): string {
  if (el.encapsulatedPixelData) return `encapsulated, ${plural(el.fragments?.length ?? 0, 'fragment')}`;
  if (!el.length) return '';
  const num = NUMERIC[vr];
  if (num) {
    const n = Math.floor(el.length / num.size);
    const values: string[] = [];
    for (let i = 0; i < Math.min(n, MAX_VALUES); i++) values.push(String(num.read(ds, el.tag, i)));
    return values.join('\\') + (n > MAX_VALUES ? ` … (${n} values)` : '');
  }
  if (vr === 'AT') {
    const values: string[] = [];
    for (let i = 0; i < Math.min(el.length / 4, MAX_VALUES); i++) {
      const g = ds.uint16(el.tag, i * 2) ?? 0;
      const e = ds.uint16(el.tag, i * 2 + 1) ?? 0;
      values.push(`(${g.toString(16).padStart(4, '0').toUpperCase()},${e.toString(16).padStart(4, '0').toUpperCase()})`);
    }
    return values.join('\\');
  }
  const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + Math.min(el.length, MAX_TEXT * 4));
  if (TEXT_VRS.has(vr)) {
    const s = text(raw).replace(/[\0 ]+$/, '');
    return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)} … (${el.length} bytes)` : s;
  }
  // OB, OW, OF, UN …: the first bytes in hex.
  const hex = Array.from(raw.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${el.length} bytes: ${hex}${el.length > 16 ? ' …' : ''}`;
}
