/**
 * Building a DICOMDIR file-set (PS3.10 §8, PS3.11, IHE PDI) from DICOM files: each file made to
 * conform to the profile, placed at a deterministic File ID, indexed by a DICOMDIR, with README.TXT
 * and INDEX.HTM at the root. Built in a temporary sibling folder and renamed into place; an existing
 * folder is used only when empty, and no existing file is ever overwritten (docs/data-safety.md invariant 3).
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  readSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { ExportError, ExportFilledKey, ExportResult, IsoSupport } from '../../shared/contract/index.ts';
import { CourierError } from '../../shared/errors.ts';
import { charsetDecoder } from '../dicom/charset.ts';
import { fsReason, openRegularFile, readRegularFile } from '../dicom/files.ts';
import { headKind, NotDicomError } from '../dicom/header.ts';
import { transferSyntaxInfo } from '../dicom/transferSyntax.ts';
import { ascii, DatasetError, find, type Element } from '../dicom/dataset.ts';
import { encodeDicomdir, type DirRecord } from './directory.ts';
import { Copier } from './copier.ts';
import { codecFor, loadCodecs } from '../dicom/pixels.ts';
import { DEFAULT_PROFILE, PROFILES } from './profiles.ts';
import { entityFallback, instanceFallback, recordKeys, recordTypeFor, RECORD_KEYS } from './records.ts';
import { parseSource, prepare, type Source } from '../dicom/transcode.ts';
import { plural } from '../../shared/words.ts';

/** Options of one export. */
export interface FileSetOptions {
  /** The folder to create (or an empty existing folder). */
  out: string;
  profile?: string;
  /** File-set ID (0004,1130): CS, up to 16 of A–Z 0–9 _ and space. */
  fileSetId?: string;
  /** Also write an ISO 9660 image: a path, or true for `<out>.iso`. */
  iso?: string | boolean;
  /** Who made the media, for README.TXT (e.g. "Courier 0.1.0"). */
  application?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, current: string) => void;
  /**
   * Pass over files that are not DICOM (and DICOMDIRs) quietly, counting them as `skipped`: right
   * for a folder read as it is. Without it (files the library holds as instances) such a file is an
   * error, so nothing the user selected goes missing unreported.
   */
  passOverNonDicom?: boolean;
}

/** What the builder keeps of an instance until the DICOMDIR is written. */
interface Item {
  staged: string;
  bytes: number;
  src: Element[];
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  ts: string;
  recordType: string;
  patientKey: string;
  studyUid: string;
  seriesUid: string;
}

const HEAD_BYTES = 16 * 1024;
const MAX_HEAD_BYTES = 1024 * 1024;
const SLICE_MS = 40;
const PIXEL_DATA = 0x7fe00010;

/** Tags a record (or a fallback for one) may read, at every level. */
const RECORD_TAGS = new Set<number>([
  ...Object.values(RECORD_KEYS).flatMap((keys) => keys.map((k) => k.tag)),
  0x00080012, 0x00080013, 0x00080021, 0x00080022, 0x00080031, 0x00080032, 0x0040a073, 0x00080016, 0x00080018,
]);

/** Checks a File-set ID (PS3.10 §8.2: CS, ≤ 16 characters of A–Z 0–9 _ and space). */
export function fileSetIdProblem(id: string): string | null {
  if (id.length > 16) return 'the File-set ID has more than 16 characters';
  if (!/^[A-Z0-9_ ]*$/.test(id)) return 'the File-set ID may hold only A–Z, 0–9, _ and space';
  return null;
}

/** Refuses a target that exists and is not an empty folder (CourierError CONFLICT). */
export function checkTarget(out: string): void {
  let st;
  try {
    st = statSync(out);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new CourierError('CONFLICT', `${out} already exists and is not a folder; choose a new or empty folder`);
  if (readdirSync(out).length) throw new CourierError('CONFLICT', `${out} is not empty; export needs a new or empty folder so nothing of yours is overwritten`);
}

/** Builds the file-set from `files` (paths to DICOM files) into `opts.out`. */
export async function buildFileSet(files: readonly string[], opts: FileSetOptions, inputErrors: ExportError[] = []): Promise<ExportResult> {
  const started = performance.now();
  const out = resolve(opts.out);
  const profile = PROFILES.get(opts.profile ?? DEFAULT_PROFILE);
  if (!profile) throw new CourierError('BAD_REQUEST', `Unknown profile ${opts.profile}; use one of ${[...PROFILES.keys()].join(', ')}`);
  const fileSetId = opts.fileSetId ?? 'COURIER';
  const idProblem = fileSetIdProblem(fileSetId);
  if (idProblem) throw new CourierError('BAD_REQUEST', idProblem);
  const isoPath = opts.iso === true ? `${out}.iso` : typeof opts.iso === 'string' ? resolve(opts.iso) : null;
  if (isoPath && existsSync(isoPath)) throw new CourierError('CONFLICT', `${isoPath} already exists; it is not overwritten`);
  checkTarget(out);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = mkdtempSync(join(dirname(out), `.${basename(out)}.courier-`));
  try {
    return await build(files, { ...opts, out }, tmp, profile.id, profile.transferSyntaxes, fileSetId, isoPath, inputErrors, started);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function build(
  files: readonly string[],
  opts: FileSetOptions & { out: string },
  tmp: string,
  profileId: string,
  allowed: ReadonlySet<string>,
  fileSetId: string,
  isoPath: string | null,
  inputErrors: ExportError[],
  started: number,
): Promise<ExportResult> {
  const errors: ExportError[] = [...inputErrors];
  const notes: ExportError[] = [];
  const filled: ExportFilledKey[] = [];
  const stage = join(tmp, 'DICOM');
  mkdirSync(stage);
  const items: Item[] = [];
  let transcoded = 0;
  let bytes = 0;
  // Synchronous file calls, yielding to the event loop every few ms for progress and cancel: measured faster
  // than fs/promises with several files in flight (whose per-call overhead outweighs the overlap on 2 cores).
  const results: (Exported | { error: string } | undefined)[] = new Array(files.length);
  const head = { buffer: Buffer.allocUnsafe(HEAD_BYTES) };
  const copier = new Copier();
  let finished = 0;
  // Files that are not DICOM at all (a folder's README, a viewer's .exe) and DICOMDIRs are passed over quietly, as indexing does.
  let skipped = 0;
  let sliceEnd = Date.now() + SLICE_MS;
  try {
    for (let i = 0; i < files.length && !opts.signal?.aborted; i++) {
      try {
        results[i] = await exportOne(files[i], join(stage, `~${i}`), allowed, head, copier);
      } catch (err) {
        if (err instanceof NotDicomError && opts.passOverNonDicom) skipped++;
        else if (err instanceof NotDicomError) results[i] = { error: `the file is ${err.message} now (it changed since it was indexed)` };
        // A file system failure in words ("a symbolic link that loops"), not as its errno.
        else results[i] = { error: err instanceof DatasetError ? err.message : fsReason(err) };
      }
      finished++;
      if (Date.now() >= sliceEnd) {
        opts.onProgress?.(finished, files.length, files[i]);
        await new Promise<void>((r) => setImmediate(r));
        sliceEnd = Date.now() + SLICE_MS;
      }
    }
  } finally {
    // Before anything reads the staged files, or the staging folder is removed on cancel.
    await copier.drain();
  }
  results.forEach((r, i) => {
    const failed = r && 'item' in r ? copier.failures.get(r.item.staged) : undefined;
    if (failed) results[i] = { error: failed.message };
  });
  if (opts.signal?.aborted) throw new CourierError('CANCELLED', `Export cancelled after ${finished} of ${files.length} files`);
  // In input order: the first file of an instance is the one exported; later copies are noted and dropped.
  const seen = new Map<string, string>();
  results.forEach((r, i) => {
    const path = files[i];
    if (!r) return;
    if ('error' in r) {
      errors.push({ path, message: `not exported: ${r.error}` });
    } else if (seen.has(r.item.sopInstanceUid)) {
      notes.push({ path, message: `the same instance as ${seen.get(r.item.sopInstanceUid)}: written once` });
      unlinkSync(r.item.staged);
    } else {
      seen.set(r.item.sopInstanceUid, path);
      items.push(r.item);
      bytes += r.item.bytes;
      if (r.transcoded) transcoded++;
      if (r.note) notes.push({ path, message: r.note });
    }
  });
  opts.onProgress?.(files.length, files.length, '');
  if (!items.length) {
    if (skipped === files.length) throw new CourierError('DICOM', `None of the ${files.length} files is a DICOM file: there is nothing to export`);
    throw new CourierError('DICOM', `None of the ${files.length} files could be exported${errors.length ? `: ${errors[0].message}` : ''}`);
  }

  // The hierarchy, in a deterministic order; File IDs DICOM/PATnnnnn/STUnnnnn/SERnnnnn/IMnnnnnn (PS3.10 §8.2, PS3.12).
  const roots = hierarchy(items, filled);
  const summary = { patients: roots.length, studies: 0, series: 0, instances: items.length };
  roots.forEach((p, pi) =>
    p.children.forEach((st, si) => {
      summary.studies++;
      st.children.forEach((se, ei) => {
        summary.series++;
        const dir = join(stage, name('PAT', pi + 1, 5), name('STU', si + 1, 5), name('SER', ei + 1, 5));
        mkdirSync(dir, { recursive: true });
        se.children.forEach((rec, ii) => {
          const file = name('IM', ii + 1, 6);
          rec.fileId = ['DICOM', name('PAT', pi + 1, 5), name('STU', si + 1, 5), name('SER', ei + 1, 5), file];
          renameSync((rec as DirRecord & { staged: string }).staged, join(dir, file));
        });
      });
    }),
  );
  const dicomdir = encodeDicomdir(roots, fileSetId, `2.25.${BigInt('0x' + randomUUID().replace(/-/g, '')).toString()}`);
  writeFileSync(join(tmp, 'DICOMDIR'), dicomdir, { flag: 'wx' });
  const application = opts.application ?? 'Courier';
  writeFileSync(join(tmp, 'README.TXT'), readme(summary, profileId, fileSetId, application), { flag: 'wx' });
  writeFileSync(join(tmp, 'INDEX.HTM'), indexHtml(roots, profileId, fileSetId, application), { flag: 'wx' });

  let iso: string | undefined;
  if (isoPath) {
    try {
      makeIso(tmp, isoPath, fileSetId || 'DICOM');
      iso = isoPath;
    } catch (err) {
      errors.push({ path: isoPath, message: (err as Error).message });
    }
  }
  // Into place: rename never replaces a non-empty folder, so a folder filled meanwhile is not overwritten.
  checkTarget(opts.out);
  try {
    renameSync(tmp, opts.out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw new CourierError('CONFLICT', `${opts.out} changed during the export and is not empty; nothing was overwritten`);
    throw err;
  }
  return {
    dicomdir: join(opts.out, 'DICOMDIR'),
    profile: profileId,
    instances: items.length,
    transcoded,
    skipped,
    errors,
    notes,
    filled,
    fileSetId,
    ...(iso ? { iso } : {}),
    bytes: bytes + dicomdir.length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Reads, converts and stages one file; `duplicateOf` when its instance was already exported. */
/** One file, staged. */
interface Exported {
  item: Item;
  transcoded: boolean;
  note?: string;
}

async function exportOne(path: string, staged: string, allowed: ReadonlySet<string>, head: { buffer: Buffer }, copier: Copier): Promise<Exported> {
  // Read the head first: a file that already conforms is copied by the kernel without reading its pixels here.
  // Only a regular file is opened for reading (a FIFO swapped in for a library path would block the export).
  const opened = openRegularFile(path);
  if (!opened) throw new DatasetError('it is not a regular file (a folder, pipe, socket or device)');
  const fd = opened.fd;
  let src: Source | null = null;
  let size: number;
  try {
    size = opened.stats.size;
    for (let want = HEAD_BYTES; !src && want < size && want <= MAX_HEAD_BYTES; want *= 8) {
      if (head.buffer.length < want) head.buffer = Buffer.allocUnsafe(want);
      const n = readSync(fd, head.buffer, 0, want, 0);
      if (want === HEAD_BYTES) passOver(head.buffer.subarray(0, n));
      try {
        const s = parseSource(path, head.buffer.subarray(0, n), false);
        if (!(allowed.has(s.ts) && s.ts === s.declaredTs && s.hasPart10Header && s.metaComplete)) break;
        src = s;
      } catch (err) {
        // Not all of the header was read: read more; any other problem shows when the whole file is read.
        if (!(err instanceof DatasetError && /truncated|ends|runs past/.test(err.message))) break;
      }
    }
  } finally {
    closeSync(fd);
  }
  let prepared: { bytes: Uint8Array | null; ts: string; transcoded: boolean; note?: string };
  if (src) {
    prepared = { bytes: null, ts: src.ts, transcoded: false };
  } else {
    const bytes = readRegularFile(path);
    passOver(bytes);
    src = parseSource(path, bytes, true);
    const pixel = find(src.elements, PIXEL_DATA);
    if (pixel?.fragments && !allowed.has(src.pixelTs) && codecFor(src.pixelTs)) await loadCodecs();
    prepared = prepare(src, allowed);
  }
  const el = src.elements;
  const patientKey = `${ascii(el, 0x00100020)}\\${ascii(el, 0x00100010)}`;
  const studyUid = ascii(el, 0x0020000d);
  const seriesUid = ascii(el, 0x0020000e);
  if (!studyUid || !seriesUid) throw new DatasetError('the file has no Study or Series Instance UID, so it has no place in a file-set');
  if (prepared.bytes) writeFileSync(staged, prepared.bytes, { flag: 'wx' });
  else await copier.copy(path, staged, size);
  return {
    item: {
      staged,
      bytes: prepared.bytes ? prepared.bytes.length : size,
      src: keep(el),
      path,
      sopClassUid: src.SOPClassUID,
      sopInstanceUid: src.SOPInstanceUID,
      ts: prepared.ts,
      recordType: recordTypeFor(src.SOPClassUID, src.hasPixels),
      patientKey,
      studyUid,
      seriesUid,
    },
    transcoded: prepared.transcoded,
    note: prepared.note,
  };
}

/** Throws NotDicomError ("not DICOM", "a DICOMDIR") for a file that is no instance to export; a DICOMDIR's files are the instances. */
function passOver(head: Uint8Array): void {
  const kind = headKind(head);
  if (kind !== 'dicom') throw new NotDicomError(kind === 'dicomdir' ? 'a DICOMDIR' : 'not DICOM');
}

/** Copies the elements records need, so the file's buffer can be freed. */
function keep(elements: readonly Element[]): Element[] {
  const copy = (e: Element): Element => ({
    tag: e.tag,
    vr: e.vr,
    ...(e.value ? { value: Uint8Array.from(e.value) } : {}),
    ...(e.items ? { items: e.items.map((it) => it.map(copy)) } : {}),
  });
  return elements.filter((e) => RECORD_TAGS.has(e.tag) && !e.fragments).map(copy);
}

/** A File ID component: PAT00001 …; past the decimal range, one letter and base 36, still 8 characters (PS3.10 §8.2). */
const name = (prefix: string, n: number, digits: number) =>
  n < 10 ** digits ? `${prefix}${String(n).padStart(digits, '0')}` : `${prefix[0]}${n.toString(36).toUpperCase().padStart(7, '0')}`;
const num = (s: string) => {
  const n = Number.parseInt(s, 10);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
};
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Groups items into PATIENT → STUDY → SERIES → instance records, sorted deterministically. */
function hierarchy(items: Item[], filled: ExportFilledKey[]): (DirRecord & { children: DirRecord[] })[] {
  type Node = { key: string; first: Item; children: Map<string, Node>; items: Item[] };
  const patients = new Map<string, Node>();
  const studyPatient = new Map<string, string>();
  for (const it of items) {
    // A study belongs to one patient: the patient of its first instance.
    const pk = studyPatient.get(it.studyUid) ?? it.patientKey;
    studyPatient.set(it.studyUid, pk);
    let p = patients.get(pk);
    if (!p) patients.set(pk, (p = { key: pk, first: it, children: new Map(), items: [] }));
    let st = p.children.get(it.studyUid);
    if (!st) p.children.set(it.studyUid, (st = { key: it.studyUid, first: it, children: new Map(), items: [] }));
    let se = st.children.get(it.seriesUid);
    if (!se) st.children.set(it.seriesUid, (se = { key: it.seriesUid, first: it, children: new Map(), items: [] }));
    se.items.push(it);
  }
  const report = (record: string, path: string) => (key: { name: string }, value: string) => filled.push({ record, key: key.name, value, path });
  const patientOrder = (a: Node, b: Node) => byText(ascii(a.first.src, 0x00100020), ascii(b.first.src, 0x00100020)) || byText(a.key, b.key);
  const studyOrder = (a: Node, b: Node) =>
    byText(ascii(a.first.src, 0x00080020) + ascii(a.first.src, 0x00080030), ascii(b.first.src, 0x00080020) + ascii(b.first.src, 0x00080030)) ||
    byText(a.key, b.key);
  const seriesOrder = (a: Node, b: Node) => num(ascii(a.first.src, 0x00200011)) - num(ascii(b.first.src, 0x00200011)) || byText(a.key, b.key);
  const instanceOrder = (a: Item, b: Item) => num(ascii(a.src, 0x00200013)) - num(ascii(b.src, 0x00200013)) || byText(a.sopInstanceUid, b.sopInstanceUid);
  return [...patients.values()].sort(patientOrder).map((p) => ({
    type: 'PATIENT',
    keys: recordKeys('PATIENT', p.first.src, entityFallback(p.first.src, 0, p.key), report('PATIENT', p.first.path)),
    children: [...p.children.values()].sort(studyOrder).map((st, si) => ({
      type: 'STUDY',
      keys: recordKeys('STUDY', st.first.src, entityFallback(st.first.src, si + 1, p.key), report('STUDY', st.first.path)),
      children: [...st.children.values()].sort(seriesOrder).map((se, ei) => ({
        type: 'SERIES',
        keys: recordKeys('SERIES', se.first.src, entityFallback(se.first.src, ei + 1, p.key), report('SERIES', se.first.path)),
        children: se.items.sort(instanceOrder).map((it, ii) => instanceRecord(it, ii + 1, report(it.recordType, it.path))),
      })),
    })),
  }));
}

function instanceRecord(it: Item, ordinal: number, onFilled: (key: { name: string }, value: string) => void): DirRecord & { staged: string } {
  let src = it.src;
  if (it.recordType === 'SR DOCUMENT' && !find(src, 0x0040a030) && ascii(src, 0x0040a493) === 'VERIFIED') {
    // Verification DateTime (1C, required when VERIFIED) lives in the Verifying Observer Sequence: the latest item.
    const observers = find(src, 0x0040a073)?.items ?? [];
    const last = observers.at(-1);
    const dt = last && find(last, 0x0040a030);
    if (dt) src = [...src, dt];
  }
  return {
    type: it.recordType,
    sopClassUid: it.sopClassUid,
    sopInstanceUid: it.sopInstanceUid,
    transferSyntaxUid: it.ts,
    keys: recordKeys(it.recordType, src, instanceFallback(src, ordinal, it.sopClassUid), onFilled),
    children: [],
    staged: it.staged,
  };
}

interface Counts {
  patients: number;
  studies: number;
  series: number;
  instances: number;
}

/** README.TXT (IHE PDI, ITI TF-1 §15.4.1.2): what the media holds, who made it and with what. */
function readme(c: Counts, profile: string, fileSetId: string, application: string): string {
  const lines = [
    'DICOM MEDIA',
    '===========',
    '',
    `This media holds ${plural(c.instances, 'DICOM instance')} of ${plural(c.patients, 'patient')}: ${plural(c.studies, 'study', 'studies')}, ${c.series} series.`,
    `It is a DICOM file-set (DICOM PS3.10) conforming to the ${profile} media application profile (DICOM PS3.11)`,
    'and to the IHE Portable Data for Imaging (PDI) profile.',
    '',
    `File-set ID:   ${fileSetId}`,
    `Created:       ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC`,
    `Created with:  ${application}, a DICOM workstation, on computer ${hostname()}`,
    '',
    'CONTENTS',
    '  DICOMDIR     the DICOM directory: lists every patient, study, series and instance on this media',
    '  DICOM/       the DICOM files (one instance per file, no file name extensions)',
    '  INDEX.HTM    a summary of the contents for a web browser',
    '  README.TXT   this file',
    '',
    'HOW TO USE',
    '  Open the DICOMDIR file (or this media) with a DICOM viewer or import it into a PACS.',
    '  The files are DICOM data for medical use; they are not meant to be opened one by one.',
    '',
  ];
  return lines.join('\r\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** INDEX.HTM (IHE PDI): the contents, readable in a web browser. */
function indexHtml(roots: DirRecord[], profile: string, fileSetId: string, application: string): string {
  const text = (r: DirRecord, tag: number) => {
    const el = find(r.keys, tag);
    if (!el?.value) return '';
    const decode = charsetDecoder(ascii(r.keys, 0x00080005) || undefined);
    return decode(el.value).replace(/[\0 ]+$/, '').replace(/\^/g, ' ').trim();
  };
  const date = (s: string) => (/^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : s);
  const rows: string[] = [];
  for (const p of roots) {
    for (const st of p.children) {
      const instances = st.children.reduce((n, se) => n + se.children.length, 0);
      const modalities = [...new Set(st.children.map((se) => text(se, 0x00080060)))].join(', ');
      rows.push(
        `<tr><td>${esc(text(p, 0x00100010))}</td><td>${esc(text(p, 0x00100020))}</td><td>${esc(date(text(st, 0x00080020)))}</td>` +
          `<td>${esc(text(st, 0x00081030))}</td><td>${esc(modalities)}</td><td>${st.children.length}</td><td>${instances}</td></tr>`,
      );
    }
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>DICOM media ${esc(fileSetId)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:left}</style>
</head><body>
<h1>DICOM media ${esc(fileSetId)}</h1>
<p>A DICOM file-set (${esc(profile)}, IHE PDI) made with ${esc(application)} on ${esc(new Date().toISOString().slice(0, 10))}.
Open the <code>DICOMDIR</code> file with a DICOM viewer; see <a href="README.TXT">README.TXT</a>.</p>
<table><thead><tr><th>Patient</th><th>Patient ID</th><th>Study date</th><th>Study</th><th>Modalities</th><th>Series</th><th>Instances</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}

/** Which ISO 9660 tool is installed, and how to get one when none is. */
export function isoSupport(): IsoSupport {
  for (const tool of ['xorriso', 'genisoimage', 'mkisofs']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return { available: true, tool, hint: `ISO images are made with ${tool}` };
  }
  return {
    available: false,
    tool: null,
    hint: 'No ISO 9660 tool found: install xorriso (Debian/Ubuntu: sudo apt install xorriso; macOS: brew install xorriso) or genisoimage, then try again. The export folder itself can be copied to a USB stick or burned as a data disc.',
  };
}

/** Writes an ISO 9660 image of `folder` to `isoPath` (never over an existing file). */
export function makeIso(folder: string, isoPath: string, volumeId: string): void {
  const support = isoSupport();
  if (!support.available) throw new Error(support.hint);
  const part = `${isoPath}.${process.pid}.part`;
  const volume = volumeId.replace(/[^A-Z0-9_]/g, '_').slice(0, 32) || 'DICOM';
  // Level 1 names (8 characters, no extension) are what PS3.12 asks of CD media; Rock Ridge and Joliet are left out.
  const args =
    support.tool === 'xorriso'
      ? ['-as', 'mkisofs', '-quiet', '-iso-level', '1', '-V', volume, '-o', part, folder]
      : ['-quiet', '-iso-level', '1', '-V', volume, '-o', part, folder];
  const r = spawnSync(support.tool!, args, { encoding: 'utf8' });
  try {
    if (r.status !== 0) throw new Error(`${support.tool} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`);
    linkSync(part, isoPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${isoPath} already exists; it is not overwritten`);
    throw err;
  } finally {
    if (existsSync(part)) unlinkSync(part);
  }
}

/** The name of a transfer syntax, for reports. */
export const syntaxName = (uid: string) => transferSyntaxInfo(uid).name;
