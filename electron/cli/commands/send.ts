/**
 * `courier send <folder|file>... --to <AE>@<host>:<port> [--ae <calling AE>] [--json]`: C-STORE of
 * files (indexed into the library first) through the same send queue the app uses; with --commit,
 * the job asks for storage commitment once its stores end and deletes what was committed when
 * asked to (--delete-after-commit), through the same workflow as the app (electron/workflow).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { aeTitleProblem, parseNodeAddress, type NodeAddress } from '../../../shared/dicomValues.ts';
import type { SendInstanceRow } from '../../../shared/contract/send.ts';
import { indexPath } from '../../library/indexer.ts';
import { fsReason } from '../../dicom/files.ts';
import { filesToRead } from '../../library/scan.ts';
import type { InstanceResult } from '../../send/sender.ts';
import { statusHex } from '../../dimse/command.ts';
import type { ServiceOptions, Services } from '../../services.ts';
import type { Args } from '../args.ts';
import type { Command, CommandContext } from '../command.ts';
import { intOption, UsageError, value } from '../args.ts';
import { failureMeaning } from '../../../shared/contract/commit.ts';
import { TLS_USAGE, TLS_VALUED, tlsFilesFor } from '../tlsOptions.ts';
import { readTlsCredentials } from '../../dimse/tls.ts';
import { idleHelperThreads } from '../../native/helperThreads.ts';
import { plural } from '../../../shared/words.ts';

/** One instance in `--json` output (docs/cli.md), plus `message` and `transcodedFrom` for people. */
export interface SendCliInstance {
  path: string;
  sopInstanceUid: string;
  store: 'success' | 'warning' | 'failed';
  status: string | null;
  commit: 'committed' | 'failed' | 'pending' | 'not-requested';
  failureReason?: string;
  /** No report came in time (the instance stays `pending`: the node may still have it). */
  timedOut?: boolean;
  deleted: boolean;
  /** Why a committed file was kept (changed since it was sent, read-only, outside the sent folders …). */
  kept?: string;
  /** The transaction whose word this is (a re-request after a timeout has its own UID). */
  transactionUid?: string;
  message: string;
  transcodedFrom?: string;
}

const COMMIT_USAGE = '[--commit] [--listen <port>] [--commit-timeout <s>] [--commit-retries <n>] [--commit-linger <ms>] [--delete-after-commit]';

/** The node named by --to. */
function targetOf(args: Args): NodeAddress {
  const to = value(args, 'to');
  if (!to) throw new UsageError('--to <AE>@<host>:<port> is required');
  try {
    return parseNodeAddress(to);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The commitment timing of --commit-timeout (all attempts together), --commit-retries and --commit-linger. */
function commitTiming(args: Args): { timeoutMs: number; attempts: number; lingerMs: number; collectAfterMs: number } {
  const totalMs = intOption(args, 'commit-timeout', 60, 1, 86_400) * 1000;
  const attempts = intOption(args, 'commit-retries', 1, 0, 10) + 1;
  const timeoutMs = Math.ceil(totalMs / attempts);
  return {
    timeoutMs,
    attempts,
    lingerMs: Math.min(intOption(args, 'commit-linger', 2000, 0, 600_000), totalMs),
    // A node that reports "on our next association" is visited after 5 s (or half an attempt's timeout).
    collectAfterMs: Math.min(5_000, Math.ceil(timeoutMs / 2)),
  };
}

/** The commitment fields of an instance as `--json` prints them. */
function commitFields(r: SendInstanceRow, asked: boolean): Pick<SendCliInstance, 'commit' | 'failureReason' | 'timedOut' | 'deleted' | 'kept' | 'transactionUid'> {
  const c = r.commit;
  if (!c) return { commit: asked && (r.state === 'success' || r.state === 'warning') ? 'pending' : 'not-requested', deleted: false };
  return {
    commit: c.state === 'committed' ? 'committed' : c.state === 'failed' ? 'failed' : 'pending',
    ...(c.failureReason ? { failureReason: c.failureReason } : {}),
    ...(c.state === 'timed-out' ? { timedOut: true } : {}),
    deleted: c.deleted,
    ...(c.keptReason ? { kept: c.keptReason } : {}),
    transactionUid: c.transactionUid,
  };
}

/**
 * The files to send under `paths`, in order, each once; the library holds them all when this returns.
 * A folder whose files the library already holds (and checked for sending) is not read again, nor
 * stat'ed: each file is compared with its index entry (size and mtime) as it is opened for sending,
 * and checked in full if it changed. Any file the library does not know yet has the folder indexed
 * first. `named` are the files named on the command line: queued even when they are not DICOM, so
 * the send says why they cannot go.
 */
async function collect(services: Services, paths: string[], ctx: CommandContext): Promise<{ listed: string[]; named: string[]; notRead: NotRead[] }> {
  const listed: string[] = [];
  const named: string[] = [];
  const notRead: NotRead[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch (err) {
      // In words: "does not exist", "a symbolic link that loops" … (not every failure is a missing path).
      throw new UsageError(`${p} cannot be read: ${fsReason(err)}`);
    }
    // What is there now: a DICOMDIR's references, or a walk.
    // What cannot be read is said, with why (a link that loops, a DICOMDIR file ID outside its folder …), not dropped.
    const here = filesToRead(abs, isDir, (path, message) => notRead.push({ path, message })).sort();
    if (services.library.needsIndexing(here)) {
      await indexPath(services.db, services.library, abs, { signal: ctx.signal, onProgress: (done, total) => ctx.progress(`indexing ${done}/${total}`) });
    }
    if (!isDir) named.push(abs);
    for (const path of here) {
      if (seen.has(path)) continue;
      seen.add(path);
      listed.push(path);
    }
  }
  return { listed, named, notRead };
}

/** Something under the paths given that was not read, so not sent, and why. */
interface NotRead {
  path: string;
  message: string;
}

/** The send command. */
export const sendCommand: Command = {
  name: 'send',
  usage: `send <folder|file>... --to <AE>@<host>:<port> [--ae <calling AE>] [--associations <n>] [--timeout <s>] [--no-transcode] ${TLS_USAGE} [--json] ${COMMIT_USAGE}`,
  valued: ['to', 'ae', 'associations', 'timeout', ...TLS_VALUED, 'listen', 'commit-timeout', 'commit-retries', 'commit-linger'],
  serviceOptions(args): ServiceOptions {
    const target = targetOf(args);
    const ae = value(args, 'ae');
    if (ae !== undefined) {
      const problem = aeTitleProblem(ae);
      if (problem) throw new UsageError(`--ae: ${problem}`);
    }
    const { lingerMs, collectAfterMs } = commitTiming(args);
    return {
      nodes: (saved) => {
        // Over TLS: the files are read now, once, so nothing is queued when they cannot be used; the
        // commitment request goes to the node the same way, and its report may come back over TLS.
        const files = tlsFilesFor(args, saved.local().tls, saved.find(target.aeTitle, target.host, target.port)?.tls ?? false);
        let credentials;
        try {
          credentials = files ? readTlsCredentials(files) : undefined;
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        return { aeTitle: ae, tls: credentials ? { node: target, credentials } : undefined };
      },
      commit: { lingerMs, collectAfterMs },
    };
  },
  async run(args, ctx) {
    const { services, out, signal } = ctx;
    if (!args.positionals.length) throw new UsageError('send needs at least one folder or file');
    const target = targetOf(args);
    const callingAe = services.nodes.local().aeTitle;
    const node = services.nodes.find(target.aeTitle, target.host, target.port);
    const associations = intOption(args, 'associations', node?.maxAssociations ?? 1, 1, 16);
    const timeoutS = intOption(args, 'timeout', 60, 1, 3600);
    const json = args.flags.has('json');
    const tls = services.nodes.tlsFor(target) !== null;
    const asked = args.flags.has('commit');
    const deleteAfter = args.flags.has('delete-after-commit');
    if (!asked && (deleteAfter || args.values.has('listen'))) throw new UsageError('--delete-after-commit and --listen need --commit');
    const timing = commitTiming(args);

    const { listed, named, notRead } = await collect(services, args.positionals, ctx);
    // The stores are a ping-pong with the peer: V8's compiler and GC helpers must not hold up either side.
    idleHelperThreads();
    // Listening before the N-ACTION goes out: Orthanc may report before its N-ACTION-RSP.
    if (asked && args.values.has('listen')) await services.commit.startAccepter(intOption(args, 'listen', 0, 0, 65535));
    const started = performance.now();
    const { id: sendJobId, total: queued } = services.send.queueIndexed(
      { nodeId: node?.id ?? null, aeTitle: target.aeTitle, host: target.host, port: target.port, maxAssociations: associations, tls },
      callingAe,
      `${args.positionals.join(', ')} → ${target.aeTitle}@${target.host}:${target.port} (courier send)`,
      listed,
      named,
      asked ? { request: true, deleteAfterCommit: deleteAfter, timeoutMs: timing.timeoutMs, attempts: timing.attempts } : null,
    );
    let done = 0;
    const onAbort = () => services.send.cancel(sendJobId);
    signal.addEventListener('abort', onAbort, { once: true });
    services.send.start(sendJobId, {
      allowTranscode: !args.flags.has('no-transcode'),
      timeouts: { response: timeoutS * 1000, associate: Math.min(timeoutS, 30) * 1000 },
      onResult: (_r: InstanceResult) => ctx.progress(`sent ${++done}/${queued}`),
    });
    const summary = await services.send.wait(sendJobId);
    signal.removeEventListener('abort', onAbort);
    const seconds = (performance.now() - started) / 1000;
    if (asked && !signal.aborted) {
      ctx.progress('waiting for the storage commitment report');
      await Promise.race([services.workflow.settled(sendJobId), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    }

    // Every row for --json and commitment; otherwise only what the summary lists (failures, warnings).
    const everyRow = json || asked;
    const rows = services.send.store.instances(sendJobId, everyRow ? {} : { exceptState: 'success' });
    const job = services.send.store.job(sendJobId)!;
    const instances: SendCliInstance[] = rows.map((r) => ({
      path: r.path,
      sopInstanceUid: r.SOPInstanceUID ?? '',
      store: r.state === 'success' || r.state === 'warning' ? r.state : 'failed',
      status: r.status === null ? null : statusHex(r.status),
      ...commitFields(r, asked),
      message: r.state === 'queued' ? 'Not sent (cancelled)' : (r.message ?? ''),
      ...(r.transcodedFrom ? { transcodedFrom: r.transcodedFrom } : {}),
    }));
    // One UID for the run: the job's latest transaction (a re-request after a timeout replaces the first).
    const transactionIds = job.commit?.transactionIds ?? [];
    const latest = transactionIds.length ? services.commit.store.transactionRow(transactionIds.at(-1)!) : null;
    const transactionUid = latest?.transactionUid ?? null;
    const failed = instances.filter((i) => i.store === 'failed').length;
    const uncommitted = asked && instances.some((i) => i.store !== 'failed' && i.commit !== 'committed');
    if (json) {
      out.json({ transactionUid, instances, ...(notRead.length ? { notRead } : {}) });
    } else {
      for (const n of notRead) out.line(`not read: ${n.path}: ${n.message}`);
      for (const i of instances) if (i.store !== 'success') out.line(`${i.store}: ${i.path}: ${i.status ?? ''} ${i.message}`.replace(/ {2,}/g, ' '));
      const total = everyRow ? rows.length : job.total;
      const mb = (summary?.bytes ?? 0) / 1e6;
      out.line(
        `${total - failed} of ${total} stored at ${target.aeTitle}@${target.host}:${target.port}` +
          `${failed ? `, ${failed} failed` : ''}; ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s (${(mb / Math.max(seconds, 0.001)).toFixed(1)} MB/s)`,
      );
      if (job.state === 'failed' && job.error) out.line(job.error);
      // Why commitment did not happen: the job's word, or the latest transaction's (e.g. the node could not be reached).
      const why = job.commit?.message ?? (latest && (latest.state === 'failed' || latest.state === 'timed-out') ? latest.message : null);
      if (asked) printCommitment(out, instances, why, transactionUid);
    }
    return failed || notRead.length || uncommitted || signal.aborted ? 1 : 0;
  },
};

/** The commitment summary for people. */
function printCommitment(out: CommandContext['out'], instances: SendCliInstance[], message: string | null, transactionUid: string | null): void {
  const stored = instances.filter((i) => i.store !== 'failed');
  const n = (k: string) => stored.filter((r) => r.commit === k).length;
  out.line(
    `storage commitment: ${n('committed')} committed, ${n('failed')} failed, ${n('pending')} without a report, ${plural(stored.filter((r) => r.deleted).length, 'file')} deleted`,
  );
  if (message) out.line(`  ${message}`);
  for (const r of stored) {
    if (r.commit === 'failed') out.line(`  not committed (${r.failureReason ?? 'refused'}${r.failureReason ? `: ${failureMeaning(parseInt(r.failureReason, 16))}` : ''}): ${r.path}`);
    else if (r.commit === 'pending') out.line(`  no report${r.timedOut ? ' (timed out)' : ''}: ${r.path}`);
    else if (r.kept) out.line(`  committed but kept (${r.kept}): ${r.path}`);
  }
  if (transactionUid) out.line(`storage commitment transaction ${transactionUid}`);
}
