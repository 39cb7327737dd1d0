/**
 * From a finished send to a commitment request: hashes what was stored (the content the node
 * got, docs/data-safety.md invariant 1) and asks the node. Used by `courier send --commit` and, in the app,
 * by the send job when its node has "request storage commitment" on:
 *
 * ```ts
 * void requestAfterSend(services.commit, { node, sent, roots, deleteAfterCommit, sendJobId, statsBefore })
 *   .then((ids) => services.commit.settle(ids));   // waits for reports, deletes, in the background
 * ```
 */
import { stat } from 'node:fs/promises';
import { sha256File } from './delete.ts';
import type { CommitService, NodeTarget } from './service.ts';

/** One instance as the send reports it. */
export interface SentInstance {
  path: string;
  sopInstanceUid: string;
  sopClassUid: string;
  store: 'success' | 'warning' | 'failed';
}

/** What the send knew. */
export interface AfterSend {
  node: NodeTarget;
  sent: SentInstance[];
  /** The folders or files the user sent from: nothing outside them is ever deleted. */
  roots: string[];
  deleteAfterCommit: boolean;
  sendJobId?: number | null;
  /** Size and mtime of each file before it was sent; a file that changed since is never deleted. */
  statsBefore?: Map<string, { size: number; mtimeMs: number }>;
}

/** Stats of files before sending them (for `statsBefore`). */
export async function statsOf(paths: string[]): Promise<Map<string, { size: number; mtimeMs: number }>> {
  const out = new Map<string, { size: number; mtimeMs: number }>();
  for (const p of paths) {
    try {
      const s = await stat(p);
      out.set(p, { size: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // the send reports unreadable files itself
    }
  }
  return out;
}

/** Records and requests commitment of the stored instances; returns the transaction ids (empty when nothing was stored). */
export async function requestAfterSend(service: CommitService, a: AfterSend, signal?: AbortSignal): Promise<number[]> {
  const stored = a.sent.filter((s) => s.store === 'success' || s.store === 'warning');
  if (!stored.length) return [];
  const instances = [];
  for (const s of stored) {
    const sha256 = await sha256File(s.path).catch(() => 'unreadable');
    const now = await stat(s.path).catch(() => null);
    const then = a.statsBefore?.get(s.path);
    // A file that changed while it was being sent can never match its hash: it will be kept.
    // (mtimes compared in whole milliseconds: the library stores them truncated.)
    const unchanged = now !== null && (!then || (now.size === then.size && Math.trunc(now.mtimeMs) === Math.trunc(then.mtimeMs)));
    instances.push({
      SOPClassUID: s.sopClassUid,
      SOPInstanceUID: s.sopInstanceUid,
      path: s.path,
      size: now?.size ?? -1,
      sha256: unchanged ? sha256 : 'changed-while-sending',
    });
  }
  const txns = await service.request({ node: a.node, instances, deleteAfterCommit: a.deleteAfterCommit, roots: a.roots, sendJobId: a.sendJobId }, signal);
  return txns.map((t) => t.id);
}
