/**
 * `courier send <folder|file>... --to <AE>@<host>:<port> [--ae <calling AE>] [--json]`: C-STORE of
 * files (indexed into the library first) through the same send queue the app uses.
 *
 * Storage commitment (--commit, --listen, --commit-timeout, --delete-after-commit) plugs in through
 * the clearly separated block below: `commitBeforeStores` runs before the first association (so an
 * accepter can be listening), `commitAfterStores` after every store result is in the database.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { aeTitleProblem, parseNodeAddress, type NodeAddress } from '../../../shared/dicomValues.ts';
import { indexPath } from '../../library/indexer.ts';
import { filesToRead } from '../../library/scan.ts';
import type { InstanceResult } from '../../send/sender.ts';
import { statusHex } from '../../dimse/command.ts';
import type { Services } from '../../services.ts';
import type { Args } from '../args.ts';
import type { Command, CommandContext } from '../command.ts';
import { intOption, UsageError, value } from '../args.ts';
import { COMMIT_SEND_USAGE, COMMIT_SEND_VALUED, startCommitForSend, type CommitForSend } from '../../commit/cliSend.ts';
import { failureMeaning } from '../../../shared/contract/commit.ts';
import { TLS_USAGE, TLS_VALUED, tlsFilesFor } from '../tlsOptions.ts';
import { readTlsCredentials, type TlsCredentials } from '../../dimse/tls.ts';
import { idleHelperThreads } from '../../native/helperThreads.ts';

/** One instance in `--json` output (docs/cli.md), plus `message` and `transcodedFrom` for people. */
export interface SendCliInstance {
  path: string;
  sopInstanceUid: string;
  store: 'success' | 'warning' | 'failed';
  status: string | null;
  commit: 'committed' | 'failed' | 'pending' | 'not-requested';
  failureReason?: string;
  deleted: boolean;
  message: string;
  transcodedFrom?: string;
}

/** What the commit block gets after the stores. */
export interface AfterStoresContext {
  args: Args;
  services: Services;
  ctx: CommandContext;
  target: NodeAddress;
  callingAe: string;
  sendJobId: number;
  /** Every instance with its store result (store state already written to the database). */
  instances: (SendCliInstance & { sopClassUid: string | null; sendInstanceId: number })[];
  /** What commitBeforeStores returned. */
  prepared: unknown;
}

/** What the commit block returns: the transaction UID (or null) and per-instance commit fields (by sendInstanceId). */
export interface CommitOutcome {
  transactionUid: string | null;
  instances: Map<number, Pick<SendCliInstance, 'commit' | 'failureReason' | 'deleted'>>;
  /** True when the commit step failed as a whole (exit code 1). */
  failed?: boolean;
}

// ==== storage commitment block ================================================================
// --commit [--listen <port>] [--commit-timeout <s>] [--commit-retries <n>] [--delete-after-commit]:
// electron/commit/cliSend.ts does the work (accepter first, then N-ACTION, reports, deletion).
/** Valued options the commit block adds (e.g. 'listen', 'commit-timeout'). */
const COMMIT_VALUED: string[] = [...COMMIT_SEND_VALUED];
/** Usage text the commit block adds. */
const COMMIT_USAGE = ` ${COMMIT_SEND_USAGE}`;
/** Runs before any association (e.g. start the accepter); its result is passed to `commitAfterStores`. */
async function commitBeforeStores(args: Args, services: Services, target: NodeAddress, callingAe: string): Promise<unknown> {
  return startCommitForSend(args, services, target, callingAe);
}
/** Runs after the stores; null when no commitment was asked for. */
async function commitAfterStores(c: AfterStoresContext): Promise<CommitOutcome | null> {
  const commit = c.prepared as CommitForSend | null;
  if (!commit) return null;
  try {
    const roots = c.args.positionals.map((p) => resolve(p));
    const sent = c.instances.map((i) => ({ path: i.path, sopInstanceUid: i.sopInstanceUid, sopClassUid: i.sopClassUid ?? '', store: i.store }));
    const { transactionUid, results } = await commit.afterSend(sent, roots, c.ctx.signal, c.sendJobId);
    const instances = new Map<number, Pick<SendCliInstance, 'commit' | 'failureReason' | 'deleted'>>();
    for (const i of c.instances) {
      const r = results.get(i.path);
      if (r) instances.set(i.sendInstanceId, r);
    }
    const all = [...results.values()];
    const failed = all.some((r) => r.commit === 'failed' || r.commit === 'pending');
    if (!c.args.flags.has('json')) {
      const n = (k: string) => all.filter((r) => r.commit === k).length;
      c.ctx.out.line(
        `storage commitment: ${n('committed')} committed, ${n('failed')} failed, ${n('pending')} without a report, ${all.filter((r) => r.deleted).length} file(s) deleted`,
      );
      for (const [path, r] of results) {
        if (r.commit === 'failed') c.ctx.out.line(`  not committed (${r.failureReason ?? 'refused'}${r.failureReason ? `: ${failureMeaning(parseInt(r.failureReason, 16))}` : ''}): ${path}`);
        else if (r.commit === 'pending') c.ctx.out.line(`  no report${r.timedOut ? ' (timed out)' : ''}: ${path}`);
        else if (r.kept) c.ctx.out.line(`  committed but kept (${r.kept}): ${path}`);
      }
    }
    return { transactionUid, instances, failed };
  } finally {
    await commit.close();
  }
}
// ==== end of the storage commitment block ======================================================

/**
 * The files to send under `paths`, in order, each once; the library holds them all when this returns.
 * A folder whose files the library already holds (and checked for sending) is not read again, nor
 * stat'ed: each file is compared with its index entry (size and mtime) as it is opened for sending,
 * and checked in full if it changed. Any file the library does not know yet has the folder indexed
 * first. `named` are the files named on the command line: queued even when they are not DICOM, so
 * the send says why they cannot go.
 */
async function collect(services: Services, paths: string[], ctx: CommandContext): Promise<{ listed: string[]; named: string[] }> {
  const listed: string[] = [];
  const named: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new UsageError(`${p} does not exist`);
    const isDir = statSync(abs).isDirectory();
    // What is there now: a DICOMDIR's references, or a walk.
    const here = filesToRead(abs, isDir, () => {}).sort();
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
  return { listed, named };
}

const sameNode = (a: NodeAddress, b: NodeAddress) => a.aeTitle === b.aeTitle && a.host === b.host && a.port === b.port;

/** The send command. */
export const sendCommand: Command = {
  name: 'send',
  usage: `send <folder|file>... --to <AE>@<host>:<port> [--ae <calling AE>] [--associations <n>] [--timeout <s>] [--no-transcode] ${TLS_USAGE} [--json]${COMMIT_USAGE}`,
  valued: ['to', 'ae', 'associations', 'timeout', ...TLS_VALUED, ...COMMIT_VALUED],
  async run(args, ctx) {
    const { services, out, signal } = ctx;
    if (!args.positionals.length) throw new UsageError('send needs at least one folder or file');
    const to = value(args, 'to');
    if (!to) throw new UsageError('--to <AE>@<host>:<port> is required');
    let target: NodeAddress;
    try {
      target = parseNodeAddress(to);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const callingAe = value(args, 'ae') ?? services.nodes.local().aeTitle;
    const aeProblem = aeTitleProblem(callingAe);
    if (aeProblem) throw new UsageError(`--ae: ${aeProblem}`);
    const node = services.nodes.find(target.aeTitle, target.host, target.port);
    const associations = intOption(args, 'associations', node?.maxAssociations ?? 1, 1, 16);
    const timeoutS = intOption(args, 'timeout', 60, 1, 3600);
    const json = args.flags.has('json');
    // Over TLS: the files are read now, once, so nothing is queued when they cannot be used.
    const tlsFiles = tlsFilesFor(args, services.nodes.local().tls, node?.tls ?? false);
    let tls: TlsCredentials | undefined;
    if (tlsFiles) {
      try {
        tls = readTlsCredentials(tlsFiles);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      // The storage commitment request goes to the same node the same way, and a report on a new
      // association may come back over TLS to our accepter.
      const { commit } = services;
      const saved = commit.tlsFor;
      const ours = tls;
      commit.tlsFor = (n) => (sameNode(n, target) ? ours : saved(n));
      commit.tlsServer = () => ours;
    }

    const { listed, named } = await collect(services, args.positionals, ctx);
    // The stores are a ping-pong with the peer: V8's compiler and GC helpers must not hold up either side.
    idleHelperThreads();
    const prepared = await commitBeforeStores(args, services, target, callingAe);
    const started = performance.now();
    const { id: sendJobId, total: queued } = services.send.queueIndexed(
      { nodeId: node?.id ?? null, aeTitle: target.aeTitle, host: target.host, port: target.port, maxAssociations: associations, tls: !!tls },
      callingAe,
      `${args.positionals.join(', ')} → ${target.aeTitle}@${target.host}:${target.port} (courier send)`,
      listed,
      named,
    );
    let done = 0;
    const onAbort = () => services.send.cancel(sendJobId);
    signal.addEventListener('abort', onAbort, { once: true });
    services.send.start(sendJobId, {
      allowTranscode: !args.flags.has('no-transcode'),
      tls,
      timeouts: { response: timeoutS * 1000, associate: Math.min(timeoutS, 30) * 1000 },
      onResult: (_r: InstanceResult) => ctx.progress(`sent ${++done}/${queued}`),
    });
    const summary = await services.send.wait(sendJobId);
    signal.removeEventListener('abort', onAbort);
    const seconds = (performance.now() - started) / 1000;

    // Every row for --json and commitment; otherwise only what the summary lists (failures, warnings).
    const everyRow = json || args.flags.has('commit');
    const rows = services.send.store.instances(sendJobId, everyRow ? {} : { exceptState: 'success' });
    const total = everyRow ? rows.length : services.send.store.job(sendJobId)!.total;
    const instances: AfterStoresContext['instances'] = rows.map((r) => ({
      sendInstanceId: r.id,
      path: r.path,
      sopInstanceUid: r.SOPInstanceUID ?? '',
      sopClassUid: r.SOPClassUID,
      store: r.state === 'success' || r.state === 'warning' ? r.state : 'failed',
      status: r.status === null ? null : statusHex(r.status),
      commit: 'not-requested',
      deleted: false,
      message: r.state === 'queued' ? 'Not sent (cancelled)' : (r.message ?? ''),
      ...(r.transcodedFrom ? { transcodedFrom: r.transcodedFrom } : {}),
    }));
    const commit = await commitAfterStores({ args, services, ctx, target, callingAe, sendJobId, instances, prepared });
    if (commit) for (const i of instances) Object.assign(i, commit.instances.get(i.sendInstanceId) ?? {});
    const failed = instances.filter((i) => i.store === 'failed').length;
    if (json) {
      out.json({
        transactionUid: commit?.transactionUid ?? null,
        instances: instances.map(({ sendInstanceId: _id, sopClassUid: _c, ...rest }) => rest),
      });
    } else {
      for (const i of instances) if (i.store !== 'success') out.line(`${i.store}: ${i.path}: ${i.status ?? ''} ${i.message}`.replace(/ {2,}/g, ' '));
      const mb = (summary?.bytes ?? 0) / 1e6;
      out.line(
        `${total - failed} of ${total} stored at ${target.aeTitle}@${target.host}:${target.port}` +
          `${failed ? `, ${failed} failed` : ''}; ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s (${(mb / Math.max(seconds, 0.001)).toFixed(1)} MB/s)`,
      );
      if (commit?.transactionUid) out.line(`storage commitment transaction ${commit.transactionUid}`);
    }
    return failed || commit?.failed || signal.aborted ? 1 : 0;
  },
};
