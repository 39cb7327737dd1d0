/**
 * The storage commitment part of `courier send` (its options --commit, --listen,
 * --commit-timeout, --commit-retries, --delete-after-commit), kept here so the send command only
 * calls three functions:
 *
 * ```ts
 * const commit = await startCommitForSend(args, services, node, callingAe); // null without --commit
 * …send…
 * const results = await commit?.afterSend(sentInstances, roots, signal);    // per-path results
 * await commit?.close();
 * ```
 * and adds `commit`, `failureReason`, `deleted` (and `transactionUid`) to its JSON (docs/cli.md).
 */
import type { Services } from '../services.ts';
import type { Args } from '../cli/args.ts';
import { intOption, UsageError } from '../cli/args.ts';
import { requestAfterSend, type SentInstance } from './afterSend.ts';
import type { CommitService, NodeTarget } from './service.ts';

/** Options `courier send` must declare as taking a value. */
export const COMMIT_SEND_VALUED = ['listen', 'commit-timeout', 'commit-retries', 'commit-linger'] as const;
/** The usage text of these options. */
export const COMMIT_SEND_USAGE = '[--commit] [--listen <port>] [--commit-timeout <s>] [--commit-retries <n>] [--delete-after-commit]';

export type { SentInstance };

/** What `courier send --json` prints per instance about commitment. */
export interface CommitResult {
  commit: 'committed' | 'failed' | 'pending' | 'not-requested';
  failureReason?: string;
  /** No report came in time (the instance stays `pending`: the node may still have it). */
  timedOut?: boolean;
  deleted: boolean;
  /** Why a committed file was kept (changed, read-only, outside the sent folders …). */
  kept?: string;
  transactionUid?: string;
}

/** A commitment in progress for one `courier send`. */
export interface CommitForSend {
  /** Requests commitment of what was stored, waits for the report(s), deletes if asked; results by path. */
  afterSend(sent: SentInstance[], roots: string[], signal?: AbortSignal, sendJobId?: number): Promise<{ transactionUid: string | null; results: Map<string, CommitResult> }>;
  close(): Promise<void>;
}

/** Reads the commit options; with --commit starts the accepter (before anything is sent). */
export async function startCommitForSend(args: Args, services: Services, node: NodeTarget, callingAe: string): Promise<CommitForSend | null> {
  const wanted = args.flags.has('commit');
  const deleteAfter = args.flags.has('delete-after-commit');
  if (!wanted) {
    if (deleteAfter || args.values.has('listen')) throw new UsageError('--delete-after-commit and --listen need --commit');
    return null;
  }
  const timeoutS = intOption(args, 'commit-timeout', 60, 1, 86_400);
  const retries = intOption(args, 'commit-retries', 1, 0, 10);
  const service: CommitService = services.commit;
  Object.assign(service.options, {
    aeTitle: callingAe,
    timeoutMs: Math.ceil((timeoutS * 1000) / (retries + 1)),
    maxAttempts: retries + 1,
    lingerMs: Math.min(intOption(args, 'commit-linger', 2000, 0, 600_000), timeoutS * 1000),
    // A node that reports "on our next association" is visited after 5 s (or half an attempt's timeout).
    collectAfterMs: Math.min(5_000, Math.ceil((timeoutS * 1000) / (retries + 1) / 2)),
  });
  if (args.values.has('listen')) {
    // Listening before the N-ACTION goes out: Orthanc may report before its N-ACTION-RSP.
    await service.startAccepter(intOption(args, 'listen', 0, 0, 65535));
  }
  // Test hook: widen the window between a deletion's recorded intent and its unlink (the crash test kills there).
  const pause = Number(process.env.COURIER_TEST_DELETE_PAUSE_MS);
  if (pause > 0) service.deleteHooks = { beforeUnlink: () => new Promise((r) => setTimeout(r, pause)) };
  return {
    async afterSend(sent, roots, signal, sendJobId) {
      // "Before": size and mtime as indexed just before the send (the send indexes first).
      const statsBefore = new Map<string, { size: number; mtimeMs: number }>();
      for (const s of sent) {
        const k = services.library.knownPaths(s.path).get(s.path);
        if (k) statsBefore.set(s.path, { size: k.size, mtimeMs: k.mtimeMs });
      }
      const results = new Map<string, CommitResult>();
      for (const s of sent) results.set(s.path, { commit: 'not-requested', deleted: false });
      const txnIds = await requestAfterSend(service, { node, sent, roots, deleteAfterCommit: deleteAfter, statsBefore, sendJobId }, signal);
      if (!txnIds.length) return { transactionUid: null, results };
      const txns = txnIds.map((id) => service.store.byId(id)!);
      const ids = await service.settle(txns.map((t) => t.id), signal);
      // The latest word on each instance wins (a re-request supersedes a timed-out transaction).
      for (const id of ids) {
        const t = service.store.byId(id)!;
        for (const row of service.store.instanceRows(id)) {
          const prev = results.get(row.path);
          if (prev?.commit === 'committed') continue;
          results.set(row.path, {
            commit: row.state === 'committed' ? 'committed' : row.state === 'failed' ? 'failed' : 'pending',
            ...(row.failureReason ? { failureReason: row.failureReason } : {}),
            ...(row.state === 'timed-out' ? { timedOut: true } : {}),
            deleted: row.deleted,
            ...(row.keptReason ? { kept: row.keptReason } : {}),
            transactionUid: t.transactionUid,
          });
        }
      }
      return { transactionUid: txns[0]?.transactionUid ?? null, results };
    },
    close: () => service.close(),
  };
}
