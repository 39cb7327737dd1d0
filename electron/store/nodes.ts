/**
 * Remote DICOM nodes and our own AE title and listening port.
 */
import { DEFAULT_NODE_COMMITMENT, type LocalAe, type NodeInput, type NodeRow, type TlsFiles } from '../../shared/contract/nodes.ts';
import { CourierError } from '../../shared/errors.ts';
import type { Db } from './db.ts';

/** Our AE when nothing has been set (the storage commitment accepter listens on its port). */
export const DEFAULT_LOCAL_AE: LocalAe = { aeTitle: 'COURIER', port: 11113, tls: { certificateFile: '', keyFile: '', caFile: '' } };

interface Row {
  id: number;
  name: string;
  ae_title: string;
  host: string;
  port: number;
  tls: number;
  max_associations: number;
  request_commitment: number;
  delete_after_commit: number;
  commit_timeout_s: number;
  commit_retries: number;
}

const toNode = (r: Row): NodeRow => ({
  id: r.id,
  name: r.name,
  aeTitle: r.ae_title,
  host: r.host,
  port: r.port,
  tls: r.tls === 1,
  maxAssociations: r.max_associations,
  requestCommitment: r.request_commitment === 1,
  deleteAfterCommit: r.delete_after_commit === 1,
  commitTimeoutS: r.commit_timeout_s,
  commitRetries: r.commit_retries,
});

/** Node reads and writes. */
export class NodeStore {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Every node, by name. */
  list(): NodeRow[] {
    return (this.db.prepare('SELECT * FROM nodes ORDER BY name COLLATE NOCASE, id').all() as unknown as Row[]).map(toNode);
  }

  /** One node, or null. */
  get(id: number): NodeRow | null {
    const r = this.db.prepare('SELECT * FROM nodes WHERE id = ?').get(id) as unknown as Row | undefined;
    return r ? toNode(r) : null;
  }

  /** The node with this AE title, host and port, or null. */
  find(aeTitle: string, host: string, port: number): NodeRow | null {
    const r = this.db.prepare('SELECT * FROM nodes WHERE ae_title = ? AND host = ? AND port = ?').get(aeTitle, host, port) as unknown as Row | undefined;
    return r ? toNode(r) : null;
  }

  /**
   * Adds a node (id absent) or updates one; returns it. Commitment defaults left out keep the node's
   * (a new node's are DEFAULT_NODE_COMMITMENT).
   */
  save(input: NodeInput & { id?: number }): NodeRow {
    const name = input.name?.trim() || input.aeTitle;
    const flag = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);
    const values = [
      name,
      input.aeTitle,
      input.host,
      input.port,
      input.tls ? 1 : 0,
      input.maxAssociations ?? 2,
      flag(input.requestCommitment),
      flag(input.deleteAfterCommit),
      input.commitTimeoutS ?? null,
      input.commitRetries ?? null,
    ];
    const d = DEFAULT_NODE_COMMITMENT;
    try {
      if (input.id === undefined) {
        const r = this.db
          .prepare(
            `INSERT INTO nodes (name, ae_title, host, port, tls, max_associations, request_commitment, delete_after_commit, commit_timeout_s, commit_retries, created_at)
             VALUES (?, ?, ?, ?, ?, ?, coalesce(?, ${d.requestCommitment ? 1 : 0}), coalesce(?, ${d.deleteAfterCommit ? 1 : 0}), coalesce(?, ${d.commitTimeoutS}),
               coalesce(?, ${d.commitRetries}), ?) RETURNING *`,
          )
          .get(...values, new Date().toISOString()) as unknown as Row;
        return toNode(r);
      }
      const r = this.db
        .prepare(
          `UPDATE nodes SET name = ?, ae_title = ?, host = ?, port = ?, tls = ?, max_associations = ?, request_commitment = coalesce(?, request_commitment),
             delete_after_commit = coalesce(?, delete_after_commit), commit_timeout_s = coalesce(?, commit_timeout_s), commit_retries = coalesce(?, commit_retries)
           WHERE id = ? RETURNING *`,
        )
        .get(...values, input.id) as unknown as Row | undefined;
      if (!r) throw new CourierError('NOT_FOUND', `No node ${input.id}`);
      return toNode(r);
    } catch (err) {
      if (err instanceof Error && /UNIQUE/.test(err.message)) throw new CourierError('CONFLICT', `A node ${input.aeTitle}@${input.host}:${input.port} exists already`);
      throw err;
    }
  }

  /** Removes a node (jobs keep their copy of its address). */
  remove(id: number): boolean {
    return Number(this.db.prepare('DELETE FROM nodes WHERE id = ?').run(id).changes) > 0;
  }

  /** Our own AE title, listening port and TLS files. */
  local(): LocalAe {
    const r = this.db.prepare('SELECT ae_title, port, tls_certificate_file, tls_key_file, tls_ca_file FROM local_ae WHERE id = 1').get() as
      | { ae_title: string; port: number; tls_certificate_file: string; tls_key_file: string; tls_ca_file: string }
      | undefined;
    if (!r) return { ...DEFAULT_LOCAL_AE, tls: { ...DEFAULT_LOCAL_AE.tls } };
    return { aeTitle: r.ae_title, port: r.port, tls: { certificateFile: r.tls_certificate_file, keyFile: r.tls_key_file, caFile: r.tls_ca_file } };
  }

  /** Sets our own AE title and listening port, and our TLS files when given. */
  setLocal(v: { aeTitle: string; port: number; tls?: TlsFiles }): LocalAe {
    const tls = v.tls ?? this.local().tls;
    this.db
      .prepare(
        `INSERT INTO local_ae (id, ae_title, port, tls_certificate_file, tls_key_file, tls_ca_file) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET ae_title = excluded.ae_title, port = excluded.port, tls_certificate_file = excluded.tls_certificate_file,
           tls_key_file = excluded.tls_key_file, tls_ca_file = excluded.tls_ca_file`,
      )
      .run(v.aeTitle, v.port, tls.certificateFile.trim(), tls.keyFile.trim(), tls.caFile.trim());
    return this.local();
  }
}
