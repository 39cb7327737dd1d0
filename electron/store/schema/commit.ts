/**
 * Storage commitment tables (PS3.4 Annex J): one transaction per N-ACTION request, the instances
 * it asks about (with the size and SHA-256 recorded when they were sent), and the audit log of
 * every local file deleted because it was committed.
 */
import type { Migration } from '../migrations.ts';

/** Migrations of the commitment tables. */
export const commitMigrations: Migration[] = [
  {
    id: '2026-11-28-commit',
    sql: `
      CREATE TABLE commit_transactions (
        id INTEGER PRIMARY KEY,
        transaction_uid TEXT NOT NULL UNIQUE,
        -- the node the request goes to: the only AE (title AND address) whose report counts
        node_ae TEXT NOT NULL,
        node_host TEXT NOT NULL,
        node_port INTEGER NOT NULL,
        -- addresses node_host resolved to when the transaction was created (JSON array)
        node_addresses TEXT NOT NULL,
        calling_ae TEXT NOT NULL,
        -- created (recorded, N-ACTION not yet answered) → requested → reported | timed-out;
        -- failed when the N-ACTION itself was refused
        state TEXT NOT NULL CHECK (state IN ('created', 'requested', 'reported', 'timed-out', 'failed')),
        created_at TEXT NOT NULL,
        requested_at TEXT,
        report_at TEXT,
        -- when no report has come by then (epoch ms), the transaction times out or is re-requested
        deadline_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL DEFAULT 3,
        timeout_ms INTEGER NOT NULL,
        event_type INTEGER,
        delete_after_commit INTEGER NOT NULL DEFAULT 0,
        -- the folders (or files) the user sent from (JSON array): nothing outside them is deleted
        roots TEXT NOT NULL DEFAULT '[]',
        send_job_id TEXT,
        -- a re-request of an earlier transaction (its uncommitted instances, under a new UID)
        retry_of INTEGER REFERENCES commit_transactions(id),
        message TEXT
      );
      CREATE INDEX commit_transactions_state ON commit_transactions(state);
      CREATE TABLE commit_instances (
        id INTEGER PRIMARY KEY,
        transaction_id INTEGER NOT NULL REFERENCES commit_transactions(id),
        SOPClassUID TEXT NOT NULL,
        SOPInstanceUID TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        -- the study as the library knew it when the transaction was created (files may be deleted since)
        StudyInstanceUID TEXT,
        StudyDescription TEXT,
        PatientName TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'failed', 'timed-out')),
        failure_reason INTEGER,
        updated_at TEXT NOT NULL,
        -- null: not considered; deleting: intent recorded, unlink may or may not have happened;
        -- deleted: gone (audit row written); kept: not deleted, delete_problem says why
        delete_state TEXT CHECK (delete_state IN ('deleting', 'deleted', 'kept')),
        delete_problem TEXT,
        UNIQUE (transaction_id, SOPInstanceUID)
      );
      CREATE INDEX commit_instances_sop ON commit_instances(SOPInstanceUID);
      CREATE INDEX commit_instances_path ON commit_instances(path);
      CREATE TABLE commit_deletions (
        id INTEGER PRIMARY KEY,
        commit_instance_id INTEGER NOT NULL UNIQUE REFERENCES commit_instances(id),
        path TEXT NOT NULL,
        SOPInstanceUID TEXT NOT NULL,
        transaction_uid TEXT NOT NULL,
        node TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        deleted_at TEXT NOT NULL
      );
      CREATE TABLE commit_report_log (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        transaction_uid TEXT,
        calling_ae TEXT NOT NULL,
        peer_address TEXT NOT NULL,
        delivery TEXT NOT NULL,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL
      );
    `,
  },
  {
    id: '2026-12-05-commit-send-link',
    sql: `
      -- the send job instance an instance was stored as, and what identified its bytes when they
      -- were read for sending (send_instances.sent_stamp): deletion compares the file with it
      ALTER TABLE commit_instances ADD COLUMN send_instance_id INTEGER;
      ALTER TABLE commit_instances ADD COLUMN sent_stamp TEXT;
      -- where a file is moved (beside itself) between its last check and its unlink (commit/delete.ts)
      ALTER TABLE commit_instances ADD COLUMN delete_quarantine TEXT;
      CREATE INDEX commit_instances_send ON commit_instances(send_instance_id);
      CREATE INDEX commit_transactions_send_job ON commit_transactions(send_job_id);
    `,
  },
  {
    id: '2026-12-06-commit-recovery',
    sql: `
      -- the last N-ACTION could not reach the node (it never saw this transaction): sent again soon, same UID
      ALTER TABLE commit_transactions ADD COLUMN undelivered INTEGER NOT NULL DEFAULT 0;
      -- ended by a timeout or an unreachable node, not yet asked again: the next start re-requests it
      ALTER TABLE commit_transactions ADD COLUMN retryable INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: '2026-12-07-commit-same-uid',
    sql: `
      -- set when the instance was created: its file is never deleted, whatever the report says, and
      -- this says why (another file of the job holds the same SOP Instance UID with other content:
      -- the PACS holds only one of them; commit/sameUid.ts)
      ALTER TABLE commit_instances ADD COLUMN keep_reason TEXT;
    `,
  },
];
