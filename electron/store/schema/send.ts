/**
 * Nodes (remote AEs and our own AE) and send jobs with one row per instance.
 */
import type { Migration } from '../migrations.ts';

/** Migrations of the node and send tables. */
export const sendMigrations: Migration[] = [
  {
    id: '2026-11-28-send',
    sql: `
      CREATE TABLE nodes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        ae_title TEXT NOT NULL,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        tls INTEGER NOT NULL DEFAULT 0,
        max_associations INTEGER NOT NULL DEFAULT 2,
        created_at TEXT NOT NULL,
        UNIQUE (ae_title, host, port)
      );
      -- our own AE: one row
      CREATE TABLE local_ae (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        ae_title TEXT NOT NULL,
        port INTEGER NOT NULL
      );
      CREATE TABLE send_jobs (
        id INTEGER PRIMARY KEY,
        node_id INTEGER REFERENCES nodes(id) ON DELETE SET NULL,
        -- the destination as it was when the job was made (a node may be edited later)
        ae_title TEXT NOT NULL,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        max_associations INTEGER NOT NULL,
        calling_ae TEXT NOT NULL,
        description TEXT NOT NULL,
        -- queued | running | paused | done | cancelled
        state TEXT NOT NULL,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE TABLE send_instances (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES send_jobs(id) ON DELETE CASCADE,
        instance_id INTEGER,
        path TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        SOPInstanceUID TEXT,
        SOPClassUID TEXT,
        -- queued | success | warning | failed ('sending' lives in memory while it happens)
        state TEXT NOT NULL,
        status INTEGER,
        message TEXT,
        transfer_syntax TEXT,
        transcoded_from TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT
      );
      CREATE INDEX send_instances_job ON send_instances(job_id, state);
    `,
  },
  {
    id: '2026-11-28-send-file-syntax',
    sql: `
      -- the transfer syntax the library recorded for the file when it was queued (plans contexts before the file is read)
      ALTER TABLE send_instances ADD COLUMN file_transfer_syntax TEXT;
    `,
  },
  {
    id: '2026-11-29-tls',
    sql: `
      -- our TLS files (PEM paths, '' when not set) for nodes marked TLS
      ALTER TABLE local_ae ADD COLUMN tls_certificate_file TEXT NOT NULL DEFAULT '';
      ALTER TABLE local_ae ADD COLUMN tls_key_file TEXT NOT NULL DEFAULT '';
      ALTER TABLE local_ae ADD COLUMN tls_ca_file TEXT NOT NULL DEFAULT '';
      -- the job goes over TLS (its node was marked TLS, or --tls), also when resumed
      ALTER TABLE send_jobs ADD COLUMN tls INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: '2026-12-05-send-commit',
    sql: `
      -- each node's storage commitment defaults (the send dialog starts from them)
      ALTER TABLE nodes ADD COLUMN request_commitment INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE nodes ADD COLUMN delete_after_commit INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE nodes ADD COLUMN commit_timeout_s INTEGER NOT NULL DEFAULT 60;
      ALTER TABLE nodes ADD COLUMN commit_retries INTEGER NOT NULL DEFAULT 2;
      -- storage commitment asked for with the job: the job requests it itself once its stores end,
      -- also after a restart (commit_state: NULL = not asked; waiting | requesting | pending | done | failed)
      ALTER TABLE send_jobs ADD COLUMN commit_request INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE send_jobs ADD COLUMN delete_after_commit INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE send_jobs ADD COLUMN commit_timeout_ms INTEGER;
      ALTER TABLE send_jobs ADD COLUMN commit_attempts INTEGER;
      ALTER TABLE send_jobs ADD COLUMN commit_state TEXT;
      ALTER TABLE send_jobs ADD COLUMN commit_message TEXT;
      -- what identifies the bytes sent, taken on the open file as they were read (electron/fileStamp.ts):
      -- a committed file is deleted only while it still matches
      ALTER TABLE send_instances ADD COLUMN sent_stamp TEXT;
      -- the study as the library knew it when queued (its rows may be pruned once files are deleted)
      ALTER TABLE send_instances ADD COLUMN StudyInstanceUID TEXT;
      ALTER TABLE send_instances ADD COLUMN StudyDescription TEXT;
      ALTER TABLE send_instances ADD COLUMN PatientName TEXT;
    `,
  },
  {
    id: '2026-12-07-send-sop-index',
    sql: `
      -- what else was stored under a SOP Instance UID, asked for before each deletion (commit/sameUid.ts)
      CREATE INDEX send_instances_sop ON send_instances(SOPInstanceUID);
    `,
  },
  {
    id: '2026-12-08-send-jobs-removed',
    sql: `
      -- a job taken off the list is hidden, never deleted: its id is not reused, and what it stored
      -- still counts before a file of the same SOP Instance UID is deleted (commit/sameUid.ts)
      ALTER TABLE send_jobs ADD COLUMN removed_at TEXT;
    `,
  },
];
