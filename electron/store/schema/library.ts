/**
 * Library tables: patients → studies → series → instances, and the files that hold them
 * (one instance may be in several files).
 */
import type { Migration } from '../migrations.ts';

/** Migrations of the library tables. */
export const libraryMigrations: Migration[] = [
  {
    id: '2026-11-28-library',
    sql: `
      CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        patient_key TEXT NOT NULL UNIQUE,
        PatientID TEXT NOT NULL,
        PatientName TEXT NOT NULL,
        PatientBirthDate TEXT NOT NULL,
        PatientSex TEXT NOT NULL
      );
      CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        StudyInstanceUID TEXT NOT NULL UNIQUE,
        StudyDate TEXT NOT NULL,
        StudyTime TEXT NOT NULL,
        StudyDescription TEXT NOT NULL,
        AccessionNumber TEXT NOT NULL,
        StudyID TEXT NOT NULL,
        ReferringPhysicianName TEXT NOT NULL
      );
      CREATE INDEX studies_patient ON studies(patient_id);
      CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        study_id INTEGER NOT NULL REFERENCES studies(id),
        SeriesInstanceUID TEXT NOT NULL UNIQUE,
        Modality TEXT NOT NULL,
        SeriesNumber INTEGER,
        SeriesDescription TEXT NOT NULL,
        BodyPartExamined TEXT NOT NULL
      );
      CREATE INDEX series_study ON series(study_id);
      CREATE TABLE instances (
        id INTEGER PRIMARY KEY,
        series_id INTEGER NOT NULL REFERENCES series(id),
        SOPInstanceUID TEXT NOT NULL UNIQUE,
        SOPClassUID TEXT NOT NULL,
        InstanceNumber INTEGER,
        Rows INTEGER,
        Columns INTEGER,
        NumberOfFrames INTEGER NOT NULL DEFAULT 1,
        has_pixels INTEGER NOT NULL
      );
      CREATE INDEX instances_series ON instances(series_id);
      CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        instance_id INTEGER NOT NULL REFERENCES instances(id),
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        TransferSyntaxUID TEXT NOT NULL,
        dataset_offset INTEGER NOT NULL,
        has_part10_header INTEGER NOT NULL,
        indexed_at TEXT NOT NULL
      );
      CREATE INDEX files_instance ON files(instance_id);
      CREATE TABLE index_errors (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        message TEXT NOT NULL
      );
      CREATE TABLE skipped_files (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL
      );
    `,
  },
  {
    // Whether the file passed the checks made before sending (dicom/soundness.ts) when it was
    // indexed: 0 not checked (indexed before this column), 1 checked, with send_problem the reason
    // it cannot be sent as it is (NULL: sound). A send trusts it while size and mtime are unchanged.
    id: '2026-11-29-files-send-check',
    sql: `
      ALTER TABLE files ADD COLUMN send_checked INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE files ADD COLUMN send_problem TEXT;
    `,
  },
  {
    // What each file itself says, so that a UID two different things claim is shown rather than
    // merged silently: content_key tells apart files holding the same SOP Instance UID (library/summary.ts),
    // PatientID/PatientName the patient each file of a study names. NULL: indexed before this (read again).
    // Studies and series without a UID (files lacking Study/Series Instance UID) are `unfiled`: one
    // per patient (study) or study (series), keyed by a value that can never be a UID (store/library.ts).
    id: '2026-12-02-library-conflicts-unfiled',
    sql: `
      ALTER TABLE files ADD COLUMN content_key TEXT;
      ALTER TABLE files ADD COLUMN PatientID TEXT;
      ALTER TABLE files ADD COLUMN PatientName TEXT;
      ALTER TABLE studies ADD COLUMN unfiled INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE series ADD COLUMN unfiled INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // A study's or series' rows count the instances whose files differ: one lookup per instance.
    id: '2026-12-03-files-instance-content',
    sql: `CREATE INDEX files_instance_content ON files(instance_id, content_key);`,
  },
  {
    // How many Patient IDs the files of a study name (more than 1: a conflict), kept by
    // LibraryStore.pruneOrphans for the studies an index or a deletion touched, so that listing
    // patients and studies needs no scan of every file.
    id: '2026-12-03-studies-patient-ids',
    sql: `
      ALTER TABLE studies ADD COLUMN patient_ids INTEGER NOT NULL DEFAULT 0;
      UPDATE studies SET patient_ids = (SELECT count(DISTINCT f.PatientID) FROM series se JOIN instances i ON i.series_id = se.id
        JOIN files f ON f.instance_id = i.id WHERE se.study_id = studies.id AND f.PatientID IS NOT NULL);
    `,
  },
];
