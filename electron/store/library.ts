/**
 * Library queries: writing what indexing found, and reading patients → studies → series →
 * instances for the UI, the CLI and the other services.
 */
import { selectionWhere, type SelectionScope } from './selection.ts';
import type { InstanceRow, LibraryConflict, PatientRow, SeriesRow, StudyRow } from '../../shared/contract/index.ts';
import type { Db } from './db.ts';

/** The header attributes the library stores for one file. */
export interface InstanceRecord {
  PatientID: string;
  PatientName: string;
  PatientBirthDate: string;
  PatientSex: string;
  StudyInstanceUID: string;
  StudyDate: string;
  StudyTime: string;
  StudyDescription: string;
  AccessionNumber: string;
  StudyID: string;
  ReferringPhysicianName: string;
  SeriesInstanceUID: string;
  Modality: string;
  SeriesNumber: number | null;
  SeriesDescription: string;
  BodyPartExamined: string;
  SOPInstanceUID: string;
  SOPClassUID: string;
  InstanceNumber: number | null;
  Rows: number | null;
  Columns: number | null;
  NumberOfFrames: number;
  hasPixels: boolean;
  TransferSyntaxUID: string;
  datasetOffset: number;
  hasPart10Header: boolean;
  /** Why the file cannot be sent as it is (send/preflight.ts), null when it can; absent when not checked. */
  sendProblem?: string | null;
  /** What tells this file's content from another file's with the same SOP Instance UID (library/summary.ts). */
  contentKey?: string;
}

/** What the store remembers of a path from an earlier index. */
export interface KnownPath {
  size: number;
  mtimeMs: number;
  kind: 'file' | 'error' | 'skipped';
  instanceId: number | null;
  message: string | null;
  /** For a file: whether its index checked it for sending (files indexed before that are read again). */
  sendChecked?: boolean;
  /** For a file: whether its index recorded what tells it apart from other files (content key, patient); else it is read again. */
  conflictChecked?: boolean;
}

/** The key of a study or series without a UID: never a UID (a UID has only digits and dots, PS3.5 §9.1). */
const UNFILED = '(unfiled) ';

/** A file that holds an instance, as the senders and exporters need it. */
export interface InstanceFile {
  fileId: number;
  instanceId: number;
  path: string;
  size: number;
  mtimeMs: number;
  TransferSyntaxUID: string;
  datasetOffset: number;
  hasPart10Header: boolean;
  SOPInstanceUID: string;
  SOPClassUID: string;
}

/** Counts of distinct entities. */
export interface EntityCounts {
  patients: number;
  /** Studies with a Study Instance UID (the Unfiled groups are not studies). */
  studies: number;
  /** Series with a Series Instance UID. */
  series: number;
  /** Every instance, the unfiled included. */
  instances: number;
  /** Instances without a Study or Series Instance UID (in Unfiled groups). */
  unfiled: number;
}

/** Library reads and writes over one database. */
export class LibraryStore {
  private readonly db: Db;
  private readonly patientIds = new Map<string, number>();
  /** Studies whose files were added or forgotten since the last pruneOrphans: their Patient IDs are recounted there. */
  private readonly touchedStudies = new Set<number>();
  private readonly studyIds = new Map<string, number>();
  private readonly seriesIds = new Map<string, number>();
  private readonly stmt;

  constructor(db: Db) {
    this.db = db;
    this.stmt = {
      patient: db.prepare(
        `INSERT INTO patients (patient_key, PatientID, PatientName, PatientBirthDate, PatientSex) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(patient_key) DO UPDATE SET PatientBirthDate = coalesce(nullif(excluded.PatientBirthDate, ''), PatientBirthDate),
           PatientSex = coalesce(nullif(excluded.PatientSex, ''), PatientSex)
         RETURNING id`,
      ),
      study: db.prepare(
        `INSERT INTO studies (patient_id, StudyInstanceUID, StudyDate, StudyTime, StudyDescription, AccessionNumber, StudyID, ReferringPhysicianName, unfiled)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(StudyInstanceUID) DO UPDATE SET StudyDescription = coalesce(nullif(StudyDescription, ''), excluded.StudyDescription)
         RETURNING id`,
      ),
      series: db.prepare(
        `INSERT INTO series (study_id, SeriesInstanceUID, Modality, SeriesNumber, SeriesDescription, BodyPartExamined, unfiled) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(SeriesInstanceUID) DO UPDATE SET SeriesDescription = coalesce(nullif(SeriesDescription, ''), excluded.SeriesDescription)
         RETURNING id`,
      ),
      instance: db.prepare(
        `INSERT INTO instances (series_id, SOPInstanceUID, SOPClassUID, InstanceNumber, Rows, Columns, NumberOfFrames, has_pixels)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(SOPInstanceUID) DO UPDATE SET InstanceNumber = coalesce(InstanceNumber, excluded.InstanceNumber)
         RETURNING id`,
      ),
      file: db.prepare(
        `INSERT INTO files (path, instance_id, size, mtime_ms, TransferSyntaxUID, dataset_offset, has_part10_header, indexed_at, send_checked, send_problem,
           content_key, PatientID, PatientName)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(path) DO UPDATE SET instance_id = excluded.instance_id, size = excluded.size, mtime_ms = excluded.mtime_ms,
           TransferSyntaxUID = excluded.TransferSyntaxUID, dataset_offset = excluded.dataset_offset,
           has_part10_header = excluded.has_part10_header, indexed_at = excluded.indexed_at,
           send_checked = excluded.send_checked, send_problem = excluded.send_problem,
           content_key = excluded.content_key, PatientID = excluded.PatientID, PatientName = excluded.PatientName`,
      ),
      error: db.prepare('INSERT OR REPLACE INTO index_errors (path, size, mtime_ms, message) VALUES (?, ?, ?, ?)'),
      skipped: db.prepare('INSERT OR REPLACE INTO skipped_files (path, size, mtime_ms) VALUES (?, ?, ?)'),
      forgetFile: db.prepare('DELETE FROM files WHERE path = ?'),
      studyOfFile: db.prepare('SELECT se.study_id AS id FROM files f JOIN instances i ON i.id = f.instance_id JOIN series se ON se.id = i.series_id WHERE f.path = ?'),
      recountClaims: db.prepare(
        `UPDATE studies SET patient_ids = (SELECT count(DISTINCT f.PatientID) FROM series se JOIN instances i ON i.series_id = se.id
           JOIN files f ON f.instance_id = i.id WHERE se.study_id = studies.id AND f.PatientID IS NOT NULL) WHERE id = ?`,
      ),
      forgetError: db.prepare('DELETE FROM index_errors WHERE path = ?'),
      forgetSkipped: db.prepare('DELETE FROM skipped_files WHERE path = ?'),
    };
  }

  /** Everything known about paths under `prefix` (a folder ending in the separator, or one file). */
  knownPaths(prefix: string): Map<string, KnownPath> {
    const known = new Map<string, KnownPath>();
    const range = [prefix, prefix + '\uffff'];
    for (const r of this.db
      .prepare('SELECT path, size, mtime_ms, instance_id, send_checked, content_key IS NOT NULL AS conflict_checked FROM files WHERE path >= ? AND path < ?')
      .all(...range) as { path: string; size: number; mtime_ms: number; instance_id: number; send_checked: number; conflict_checked: number }[]) {
      known.set(r.path, {
        size: r.size,
        mtimeMs: r.mtime_ms,
        kind: 'file',
        instanceId: r.instance_id,
        message: null,
        sendChecked: r.send_checked === 1,
        conflictChecked: r.conflict_checked === 1,
      });
    }
    for (const r of this.db.prepare('SELECT path, size, mtime_ms, message FROM index_errors WHERE path >= ? AND path < ?').all(...range) as {
      path: string; size: number; mtime_ms: number; message: string;
    }[]) known.set(r.path, { size: r.size, mtimeMs: r.mtime_ms, kind: 'error', instanceId: null, message: r.message });
    for (const r of this.db.prepare('SELECT path, size, mtime_ms FROM skipped_files WHERE path >= ? AND path < ?').all(...range) as {
      path: string; size: number; mtime_ms: number;
    }[]) known.set(r.path, { size: r.size, mtimeMs: r.mtime_ms, kind: 'skipped', instanceId: null, message: null });
    return known;
  }

  /**
   * True when any of `paths` is unknown to the library, or is an instance the index did not check for
   * sending (files.send_checked): what a send must index first. One query (the paths go in as JSON).
   */
  needsIndexing(paths: string[]): boolean {
    const row = this.db
      .prepare(
        `SELECT 1 AS yes FROM json_each(?) j
           LEFT JOIN files f ON f.path = j.value LEFT JOIN index_errors e ON e.path = j.value LEFT JOIN skipped_files s ON s.path = j.value
         WHERE (f.path IS NULL AND e.path IS NULL AND s.path IS NULL) OR f.send_checked = 0 LIMIT 1`,
      )
      .get(JSON.stringify(paths));
    return row !== undefined;
  }

  /**
   * Records a file and the instance it holds; returns the instance id. A file without a Study or
   * Series Instance UID goes to its patient's (or study's) Unfiled study or series.
   */
  putFile(path: string, size: number, mtimeMs: number, rec: InstanceRecord): number {
    const patientKey = `${rec.PatientID}\\${rec.PatientName}`;
    const studyKey = rec.StudyInstanceUID || UNFILED + patientKey;
    const seriesKey = rec.SeriesInstanceUID || UNFILED + studyKey;
    let patientId = this.patientIds.get(patientKey);
    if (patientId === undefined) {
      patientId = (this.stmt.patient.get(patientKey, rec.PatientID, rec.PatientName, rec.PatientBirthDate, rec.PatientSex) as { id: number }).id;
      this.patientIds.set(patientKey, patientId);
    }
    let studyId = this.studyIds.get(studyKey);
    if (studyId === undefined) {
      studyId = (this.stmt.study.get(patientId, studyKey, rec.StudyDate, rec.StudyTime, rec.StudyDescription,
        rec.AccessionNumber, rec.StudyID, rec.ReferringPhysicianName, rec.StudyInstanceUID ? 0 : 1) as { id: number }).id;
      this.studyIds.set(studyKey, studyId);
    }
    let seriesId = this.seriesIds.get(seriesKey);
    if (seriesId === undefined) {
      seriesId = (this.stmt.series.get(studyId, seriesKey, rec.Modality, rec.SeriesNumber, rec.SeriesDescription,
        rec.BodyPartExamined, rec.SeriesInstanceUID ? 0 : 1) as { id: number }).id;
      this.seriesIds.set(seriesKey, seriesId);
    }
    this.touchedStudies.add(studyId);
    this.touchStudyOf(path); // the study it held before, if it changed
    const instanceId = (this.stmt.instance.get(seriesId, rec.SOPInstanceUID, rec.SOPClassUID, rec.InstanceNumber, rec.Rows, rec.Columns,
      rec.NumberOfFrames, rec.hasPixels ? 1 : 0) as { id: number }).id;
    this.stmt.file.run(path, instanceId, size, Math.trunc(mtimeMs), rec.TransferSyntaxUID, rec.datasetOffset, rec.hasPart10Header ? 1 : 0,
      new Date().toISOString(), rec.sendProblem === undefined ? 0 : 1, rec.sendProblem ?? null, rec.contentKey ?? null, rec.PatientID, rec.PatientName);
    this.stmt.forgetError.run(path);
    this.stmt.forgetSkipped.run(path);
    return instanceId;
  }

  /** Records a DICOM file that could not be read, with the reason. */
  putError(path: string, size: number, mtimeMs: number, message: string): void {
    this.forgetFile(path);
    this.stmt.forgetSkipped.run(path);
    this.stmt.error.run(path, size, Math.trunc(mtimeMs), message);
  }

  /** Records a file that is not DICOM, so the next index does not read it again. */
  putSkipped(path: string, size: number, mtimeMs: number): void {
    this.forgetFile(path);
    this.stmt.forgetError.run(path);
    this.stmt.skipped.run(path, size, Math.trunc(mtimeMs));
  }

  /** Forgets a path that no longer exists; instances left without files are removed too. */
  forgetPath(path: string): void {
    this.forgetFile(path);
    this.stmt.forgetError.run(path);
    this.stmt.forgetSkipped.run(path);
  }

  private forgetFile(path: string): void {
    this.touchStudyOf(path);
    this.stmt.forgetFile.run(path);
  }

  private touchStudyOf(path: string): void {
    const study = this.stmt.studyOfFile.get(path) as { id: number } | undefined;
    if (study) this.touchedStudies.add(study.id);
  }

  /**
   * Settles the library after files were added or forgotten: removes instances, series, studies and
   * patients that no longer have any file, and recounts the Patient IDs the files of each touched
   * study name (studies.patient_ids: more than 1 is a conflict), so reading the tree costs no scan.
   */
  pruneOrphans(): void {
    for (const id of this.touchedStudies) this.stmt.recountClaims.run(id);
    this.touchedStudies.clear();
    this.db.exec(`
      DELETE FROM instances WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.instance_id = instances.id);
      DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.series_id = series.id);
      DELETE FROM studies WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.study_id = studies.id);
      DELETE FROM patients WHERE NOT EXISTS (SELECT 1 FROM studies s WHERE s.patient_id = patients.id);
    `);
    this.patientIds.clear();
    this.studyIds.clear();
    this.seriesIds.clear();
  }

  /** Distinct patients, studies, series and instances among the given instance ids. */
  countsFor(instanceIds: Iterable<number>): EntityCounts {
    const ids = JSON.stringify([...new Set(instanceIds)]);
    const counts = this.db
      .prepare(
        `SELECT count(DISTINCT st.patient_id) AS patients, count(DISTINCT CASE WHEN st.unfiled THEN NULL ELSE se.study_id END) AS studies,
                count(DISTINCT CASE WHEN se.unfiled THEN NULL ELSE i.series_id END) AS series, count(DISTINCT i.id) AS instances,
                count(DISTINCT CASE WHEN st.unfiled OR se.unfiled THEN i.id END) AS unfiled
         FROM json_each(?) j JOIN instances i ON i.id = j.value JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id`,
      )
      .get(ids) as unknown as EntityCounts;
    return { ...counts };
  }

  /** Counts over the whole library. */
  counts(): EntityCounts {
    const counts = this.db
      .prepare(
        `SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM studies WHERE NOT unfiled) AS studies,
                (SELECT count(*) FROM series WHERE NOT unfiled) AS series, (SELECT count(*) FROM instances) AS instances,
                (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
                  WHERE st.unfiled OR se.unfiled) AS unfiled`,
      )
      .get() as unknown as EntityCounts;
    return { ...counts };
  }

  /** Patients, optionally filtered by name, ID or study date (substring, case-insensitive). */
  patients(filter?: string): PatientRow[] {
    const like = `%${(filter ?? '').trim().replace(/[%_\\]/g, (c) => '\\' + c)}%`;
    return this.db
      .prepare(
        `SELECT p.id, p.PatientID, p.PatientName, p.PatientBirthDate, p.PatientSex, count(s.id) AS studyCount,
                (SELECT count(*) FROM studies s3 WHERE s3.patient_id = p.id AND s3.patient_ids > 1) AS conflicts
         FROM patients p LEFT JOIN studies s ON s.patient_id = p.id
         WHERE ? = '%%' OR p.PatientName LIKE ? ESCAPE '\\' OR p.PatientID LIKE ? ESCAPE '\\'
            OR EXISTS (SELECT 1 FROM studies s2 WHERE s2.patient_id = p.id AND (s2.StudyDate LIKE ? ESCAPE '\\' OR s2.StudyDescription LIKE ? ESCAPE '\\'))
         GROUP BY p.id ORDER BY p.PatientName COLLATE NOCASE, p.PatientID`,
      )
      .all(like, like, like, like.replace(/-/g, ''), like) as unknown as PatientRow[];
  }

  /** Studies of a patient, newest first. */
  studies(patientId: number): StudyRow[] {
    return this.db
      .prepare(
        `SELECT st.id, st.patient_id AS patientId, CASE WHEN st.unfiled THEN '' ELSE st.StudyInstanceUID END AS StudyInstanceUID,
                st.StudyDate, st.StudyTime, st.StudyDescription, st.AccessionNumber, st.StudyID, st.unfiled,
                (SELECT group_concat(DISTINCT se.Modality) FROM series se WHERE se.study_id = st.id) AS modalities,
                (SELECT count(*) FROM series se WHERE se.study_id = st.id) AS seriesCount,
                (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_id WHERE se.study_id = st.id) AS instanceCount,
                st.patient_ids AS patientIds,
                (SELECT count(*) FROM series se JOIN instances i ON i.series_id = se.id WHERE se.study_id = st.id AND ${DIFFERS}) AS contentConflicts
         FROM studies st WHERE st.patient_id = ? ORDER BY st.unfiled, st.StudyDate DESC, st.StudyTime DESC`,
      )
      .all(patientId)
      .map(({ patientIds, ...r }) => ({
        ...r,
        modalities: (r.modalities as string | null) ?? '',
        unfiled: r.unfiled === 1,
        otherPatients: Math.max(0, (patientIds as number) - 1),
      })) as unknown as StudyRow[];
  }

  /** Series of a study, by series number. */
  series(studyId: number): SeriesRow[] {
    return this.db
      .prepare(
        `SELECT se.id, se.study_id AS studyId, CASE WHEN se.unfiled THEN '' ELSE se.SeriesInstanceUID END AS SeriesInstanceUID,
                se.Modality, se.SeriesNumber, se.SeriesDescription, se.unfiled,
                (SELECT count(*) FROM instances i WHERE i.series_id = se.id) AS instanceCount,
                (SELECT count(*) FROM instances i WHERE i.series_id = se.id AND ${DIFFERS}) AS contentConflicts
         FROM series se WHERE se.study_id = ? ORDER BY se.unfiled, se.SeriesNumber IS NULL, se.SeriesNumber, se.id`,
      )
      .all(studyId)
      .map((r) => ({ ...r, unfiled: r.unfiled === 1 })) as unknown as SeriesRow[];
  }

  /** Instances of a series, by instance number. */
  instances(seriesId: number): InstanceRow[] {
    return (
      this.db
        .prepare(
          `SELECT i.id, i.series_id AS seriesId, i.SOPInstanceUID, i.SOPClassUID, i.InstanceNumber, i.Rows, i.Columns,
                  i.NumberOfFrames AS frames, i.has_pixels AS hasPixels,
                  (SELECT f.TransferSyntaxUID FROM files f WHERE f.instance_id = i.id ORDER BY f.id LIMIT 1) AS TransferSyntaxUID,
                  (SELECT count(*) FROM files f WHERE f.instance_id = i.id) AS files,
                  (SELECT count(DISTINCT f.content_key) FROM files f WHERE f.instance_id = i.id) AS contentVersions
           FROM instances i WHERE i.series_id = ? ORDER BY i.InstanceNumber IS NULL, i.InstanceNumber, i.id`,
        )
        .all(seriesId) as unknown as InstanceRow[]
    ).map((r) => ({ ...r, hasPixels: Boolean(r.hasPixels) }));
  }

  /**
   * Every UID the library's files use for two different things (at most `limit` of each kind): a
   * Study Instance UID whose files name different Patient IDs, and a SOP Instance UID whose files
   * hold different contents (each file with the version it holds: equal versions are copies).
   */
  conflicts(limit = 500): LibraryConflict[] {
    const out: LibraryConflict[] = [];
    const claims = this.db
      .prepare(
        `SELECT st.id AS studyId, st.patient_id AS patientId, st.StudyInstanceUID, st.StudyDate, st.StudyDescription,
                f.PatientID, f.PatientName, count(*) AS files, min(f.path) AS example
         FROM studies st JOIN series se ON se.study_id = st.id JOIN instances i ON i.series_id = se.id JOIN files f ON f.instance_id = i.id
         WHERE st.id IN (SELECT id FROM studies WHERE patient_ids > 1 LIMIT ?) AND f.PatientID IS NOT NULL
         GROUP BY st.id, f.PatientID, f.PatientName ORDER BY st.id, min(f.id)`,
      )
      .all(limit) as { studyId: number; patientId: number; StudyInstanceUID: string; StudyDate: string; StudyDescription: string; PatientID: string; PatientName: string; files: number; example: string }[];
    for (const r of claims) {
      let c = out.at(-1);
      if (c?.kind !== 'patients' || c.studyId !== r.studyId) {
        c = { kind: 'patients', studyId: r.studyId, patientId: r.patientId, StudyInstanceUID: r.StudyInstanceUID, StudyDate: r.StudyDate, StudyDescription: r.StudyDescription, claims: [] };
        out.push(c);
      }
      c.claims.push({ PatientID: r.PatientID, PatientName: r.PatientName ?? '', files: r.files, example: r.example });
    }
    const copies = this.db
      .prepare(
        `SELECT i.id AS instanceId, i.SOPInstanceUID, i.series_id AS seriesId, se.study_id AS studyId, st.patient_id AS patientId,
                f.path, f.size, f.PatientID, f.PatientName, f.content_key
         FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id JOIN files f ON f.instance_id = i.id
         WHERE i.id IN (SELECT instance_id FROM (${DIFFERING_INSTANCES}) LIMIT ?) ORDER BY i.id, f.id`,
      )
      .all(limit) as { instanceId: number; SOPInstanceUID: string; seriesId: number; studyId: number; patientId: number; path: string; size: number; PatientID: string | null; PatientName: string | null; content_key: string | null }[];
    let versions = new Map<string | null, number>();
    for (const r of copies) {
      let c = out.at(-1);
      if (c?.kind !== 'content' || c.instanceId !== r.instanceId) {
        c = { kind: 'content', instanceId: r.instanceId, SOPInstanceUID: r.SOPInstanceUID, seriesId: r.seriesId, studyId: r.studyId, patientId: r.patientId, files: [] };
        out.push(c);
        versions = new Map();
      }
      if (!versions.has(r.content_key)) versions.set(r.content_key, versions.size + 1);
      c.files.push({ path: r.path, size: r.size, PatientID: r.PatientID ?? '', PatientName: r.PatientName ?? '', version: versions.get(r.content_key)! });
    }
    return out;
  }

  /** The first file that holds an instance, or null. */
  fileOfInstance(instanceId: number): InstanceFile | null {
    const r = this.db.prepare(`${FILE_SELECT} WHERE i.id = ? ORDER BY f.id LIMIT 1`).get(instanceId);
    return r ? toInstanceFile(r) : null;
  }

  /** One file per instance of the given patients, studies or series (for send and export). */
  filesOf(scope: SelectionScope): InstanceFile[] {
    const selected = selectionWhere(scope);
    if (!selected) return [];
    const rows = this.db
      .prepare(
        `${FILE_SELECT} WHERE f.id = (SELECT min(f2.id) FROM files f2 WHERE f2.instance_id = i.id) AND (${selected.where})
         ORDER BY st.id, se.SeriesNumber, se.id, i.InstanceNumber, i.id`,
      )
      .all(...selected.args);
    return rows.map(toInstanceFile);
  }
}

/** Instance `i` has files with different contents (one index lookup per instance: files_instance_content). */
const DIFFERS = '(SELECT count(DISTINCT f.content_key) FROM files f WHERE f.instance_id = i.id) > 1';
/** Instances whose files hold different contents under the one SOP Instance UID. */
const DIFFERING_INSTANCES = 'SELECT instance_id FROM files WHERE content_key IS NOT NULL GROUP BY instance_id HAVING count(DISTINCT content_key) > 1';
const FILE_SELECT = `SELECT f.id AS fileId, i.id AS instanceId, f.path, f.size, f.mtime_ms, f.TransferSyntaxUID, f.dataset_offset,
  f.has_part10_header, i.SOPInstanceUID, i.SOPClassUID
  FROM files f JOIN instances i ON i.id = f.instance_id JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id`;

function toInstanceFile(r: Record<string, unknown>): InstanceFile {
  return {
    fileId: r.fileId as number,
    instanceId: r.instanceId as number,
    path: r.path as string,
    size: r.size as number,
    mtimeMs: r.mtime_ms as number,
    TransferSyntaxUID: r.TransferSyntaxUID as string,
    datasetOffset: r.dataset_offset as number,
    hasPart10Header: Boolean(r.has_part10_header),
    SOPInstanceUID: r.SOPInstanceUID as string,
    SOPClassUID: r.SOPClassUID as string,
  };
}
