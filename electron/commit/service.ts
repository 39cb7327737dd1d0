/**
 * The storage commitment service (PS3.4 Annex J, Push Model, we are the SCU): records each
 * transaction before its N-ACTION goes out, accepts the report however it comes — on the same
 * association (we linger after the N-ACTION-RSP), on a new association to our accepter, or on an
 * association we open to collect it — times out and re-requests within limits, and deletes what
 * was committed when asked to. The app, the CLI and the tests all use this one class.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Association, type IncomingRequest, type Reply, type Timeouts } from '../dimse/association.ts';
import { CommandField } from '../dimse/command.ts';
import {
  COMMIT_ACTION_COMMAND,
  CommitDatasetError,
  STORAGE_COMMITMENT_SOP_CLASS,
  decodeCommitReport,
  encodeCommitRequest,
} from '../dimse/commitMessages.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../dicom/transferSyntax.ts';
import type { EventHub } from '../events.ts';
import type { LibraryStore } from '../store/library.ts';
import { CommitStore, nodeText, type CommitNode, type CommitTransaction, type NewCommitInstance } from '../store/commit.ts';
import type { Db } from '../store/db.ts';
import { deleteCommitted, type DeleteHooks, type DeletionOutcome } from './delete.ts';
import { normaliseAddress, processReport, sameAeTitle, type IncomingReport, type ReportDelivery } from './report.ts';
import type { NodeService } from '../nodes/nodeService.ts';
import { connectFailure } from '../nodes/peerFailure.ts';
import { newTransactionUid } from './uid.ts';
import { planSameUid } from './sameUid.ts';
import { startAccepter, type Accepter } from './accepter.ts';
import { logger } from '../log.ts';

const log = logger('commit');

/** Tunables; every time is in milliseconds. Our AE title comes from the node service. */
export interface CommitOptions {
  /** Keep the N-ACTION association open this long for a report on it (delivery a). */
  lingerMs: number;
  /** With no report after this long, open an association to the node to collect it (delivery c). */
  collectAfterMs: number;
  /** How long a collecting association waits for reports. */
  collectMs: number;
  /** No report within this long after the request: re-request (attempts left) or time out (a request's default). */
  timeoutMs: number;
  /** Re-requests made while settling wait at most this long (`courier commit --commit-timeout`). */
  maxTimeoutMs: number;
  /** An N-ACTION that could not be delivered (the node unreachable) is tried again after this long, not at the report deadline. */
  retryDelayMs: number;
  /** N-ACTION attempts per set of instances, the first included. */
  maxAttempts: number;
  /** At most this many references per N-ACTION (larger sends are split into several transactions). */
  chunkSize: number;
  /** Association timeouts for commitment associations. */
  timeouts?: Partial<Timeouts>;
}

/** Defaults for the app; the CLI overrides some from its options. */
export const DEFAULT_COMMIT_OPTIONS: CommitOptions = {
  lingerMs: 3_000,
  collectAfterMs: 20_000,
  collectMs: 3_000,
  timeoutMs: 120_000,
  maxTimeoutMs: Infinity,
  retryDelayMs: 2_000,
  maxAttempts: 3,
  chunkSize: 2_000,
  timeouts: { connect: 5_000, associate: 10_000, response: 30_000, release: 5_000 },
};

/** The node to ask, as typed by the user. */
export interface NodeTarget {
  aeTitle: string;
  host: string;
  port: number;
}

/** What `request` needs: the stored instances and what to do once committed. */
export interface CommitRequest {
  node: NodeTarget;
  instances: NewCommitInstance[];
  deleteAfterCommit: boolean;
  /** The folders or files the user sent from. */
  roots: string[];
  /** The send job whose stores these are. */
  sendJobId?: number | null;
  /** Our AE title for the request (default: the node service's). */
  callingAe?: string;
  /** How long to wait for a report to each request (default: options.timeoutMs). */
  timeoutMs?: number;
  /** Requests in all, the first included (default: options.maxAttempts). */
  maxAttempts?: number;
}

/** Contexts a send association can add so the node can deliver reports on it (delivery c). */
export const COMMITMENT_CONTEXT = { abstractSyntax: STORAGE_COMMITMENT_SOP_CLASS, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] };

const isOpen = (t: CommitTransaction | null) => t !== null && (t.state === 'created' || t.state === 'requested');
/**
 * The node may hold a report for `t`: its N-ACTION was answered, or went out without an answer
 * recorded (the process died before the N-ACTION-RSP was written, or the association broke after
 * the request was sent). Only these are worth collecting (delivery c).
 */
const mayHoldReport = (t: CommitTransaction) => t.state === 'requested' || (t.state === 'created' && t.attempts > 0 && !t.undelivered);

/** Resolves a host to the addresses a report from it may come from. */
export async function resolveAddresses(host: string): Promise<string[]> {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return [normaliseAddress(h)];
  try {
    const all = await lookup(h, { all: true });
    return [...new Set(all.map((a) => normaliseAddress(a.address)))];
  } catch {
    return [];
  }
}

/** What the commitment service is built from. */
export interface CommitDeps {
  db: Db;
  /** Nodes, our AE title and TLS. */
  nodes: NodeService;
  events?: EventHub | null;
  /** The library, to forget deleted files. */
  library?: LibraryStore | null;
  options?: Partial<CommitOptions>;
  /** Test hooks of deletion (the race and crash tests act there). */
  deleteHooks?: DeleteHooks;
}

/** The storage commitment service. */
export class CommitService {
  readonly store: CommitStore;
  readonly options: Readonly<CommitOptions>;
  private readonly nodes: NodeService;
  private readonly events: EventHub | null;
  private readonly library: LibraryStore | null;
  private readonly deleteHooks: DeleteHooks;
  /** Aborted by close(): stops every wait of this service (settling, lingering, collecting). */
  private readonly closing = new AbortController();
  private accepter: Accepter | null = null;
  /** The AE title the accepter answers to. */
  private accepterAe: string | null = null;
  /** Where the app asked the accepter to listen (null: no accepter in this process). */
  private wanted: { port: number; host: string } | null = null;
  private readonly waiters = new Set<() => void>();
  private deletions: Promise<unknown> = Promise.resolve();
  /** Why the accepter is not listening (e.g. the port is taken), for the UI. */
  accepterProblem: string | null = null;
  /** Per-file outcomes of deletions run by this process, by commit instance id. */
  readonly deletionOutcomes = new Map<number, DeletionOutcome>();

  constructor(deps: CommitDeps) {
    const options = deps.options ?? {};
    this.store = new CommitStore(deps.db);
    this.nodes = deps.nodes;
    this.events = deps.events ?? null;
    this.library = deps.library ?? null;
    this.deleteHooks = deps.deleteHooks ?? {};
    this.options = { ...DEFAULT_COMMIT_OPTIONS, ...options, timeouts: { ...DEFAULT_COMMIT_OPTIONS.timeouts, ...options.timeouts } };
  }

  /** Our AE title now (Settings, or this run's `--ae`). */
  get aeTitle(): string {
    return this.nodes.local().aeTitle;
  }

  /** `signal` combined with the service closing. */
  private until(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
  }

  // -------------------------------------------------------------------------------------------
  // The accepter

  /** Starts our SCP (Verification + Storage Commitment) on `port`; resolves once listening. */
  async startAccepter(port: number, host = '0.0.0.0'): Promise<Accepter> {
    this.wanted = { port, host };
    if (this.accepter) return this.accepter;
    try {
      this.accepter = await this.listen(port, host);
      this.accepterProblem = null;
      return this.accepter;
    } catch (err) {
      this.accepterProblem = `Could not listen on port ${port}: ${err instanceof Error ? err.message : String(err)}`;
      throw err;
    }
  }

  private listen(port: number, host: string): Promise<Accepter> {
    const aeTitle = this.aeTitle;
    return startAccepter({
      aeTitle,
      port,
      host,
      acceptCalling: (ae, address, tls) => this.isKnownCaller(ae, address, tls),
      onReport: (req) => this.onIncomingRequest(req, 'new'),
      // (Without our certificate, the accepter refuses TLS callers and says why: server.ts.)
      tls: () => this.nodes.tlsServer(),
    }).then((a) => {
      this.accepterAe = aeTitle;
      return a;
    });
  }

  /**
   * Our own AE title or port changed (Settings): requests use the new AE title from now on, and an
   * accepter the app runs moves to the new port and title. The new one listens before the old one
   * closes, so a port that cannot be bound leaves the old accepter running, with the reason in
   * `accepterProblem`. Does nothing to the accepter where none was started (e.g. `courier serve`).
   */
  async applyLocalAe(local: { aeTitle: string; port: number }): Promise<void> {
    const changedAe = this.accepterAe !== null && local.aeTitle !== this.accepterAe;
    const wanted = this.wanted;
    if (!wanted) return;
    const old = this.accepter;
    if (old && old.port === local.port && !changedAe) return;
    this.wanted = { port: local.port, host: wanted.host };
    if (old && old.port === local.port) {
      // Same port, new AE title: the port has to be free before it can be bound again.
      await this.stopAccepter();
      await this.startAccepter(local.port, wanted.host).catch((err) => log.error(`The accepter could not listen again on port ${local.port}:`, err));
      return;
    }
    try {
      const next = await this.listen(local.port, wanted.host);
      this.accepter = next;
      this.accepterProblem = null;
      await old?.close();
      log.info(`storage commitment accepter now ${local.aeTitle} on port ${next.port}`);
    } catch (err) {
      this.accepterProblem = `Could not listen on port ${local.port}: ${err instanceof Error ? err.message : String(err)}${old ? `; still listening on port ${old.port}` : ''}`;
      log.error(`The accepter could not move to port ${local.port}:`, err);
    }
  }

  /** The running accepter, or null. */
  get listening(): Accepter | null {
    return this.accepter;
  }

  /** Stops the accepter. */
  async stopAccepter(): Promise<void> {
    this.wanted = null;
    const a = this.accepter;
    this.accepter = null;
    await a?.close();
  }

  /**
   * True for a calling AE we know, calling from its node's address: a configured node (its host
   * name resolved), or the node of a transaction still open or recent. The AE title of a node set
   * up for TLS is known only over TLS (`tls`: the caller showed a certificate we trust).
   */
  async isKnownCaller(callingAe: string, address: string, tls = false): Promise<boolean> {
    const peer = normaliseAddress(address);
    const nodes = this.nodes.knownCallers().filter((n) => sameAeTitle(n.aeTitle, callingAe));
    if (!tls && nodes.some((n) => n.tls)) return false;
    for (const t of this.store.open()) {
      if (sameAeTitle(t.node.aeTitle, callingAe) && t.node.addresses.some((a) => normaliseAddress(a) === peer)) return true;
    }
    for (const t of this.store.recentNodes()) {
      if (sameAeTitle(t.aeTitle, callingAe) && t.addresses.some((a) => normaliseAddress(a) === peer)) return true;
    }
    for (const n of nodes) if ((await resolveAddresses(n.host)).includes(peer)) return true;
    return false;
  }

  /** Handles N-EVENT-REPORT-RQ on any association (ours or the accepter's). */
  onIncomingRequest(req: IncomingRequest, delivery: ReportDelivery, peerAe?: string): Reply {
    const cmd = req.command;
    if (cmd.CommandField !== CommandField.NEventReportRq) return { status: 0x0211 };
    let dataset: IncomingReport['dataset'];
    try {
      if (!req.dataset) throw new CommitDatasetError('no Event Information');
      dataset = decodeCommitReport(req.dataset, req.transferSyntax !== IMPLICIT_LE);
    } catch (err) {
      dataset = { error: err instanceof Error ? err.message : String(err) };
    }
    const assoc = req.association;
    const status = this.handleReport({
      // On an association the node opened, its calling AE; on ours, the AE we called.
      peerAeTitle: peerAe ?? (assoc.role === 'acceptor' ? assoc.callingAe : assoc.calledAe),
      peerAddress: assoc.socket.remoteAddress ?? '',
      delivery,
      AffectedSOPClassUID: cmd.AffectedSOPClassUID ?? '',
      AffectedSOPInstanceUID: cmd.AffectedSOPInstanceUID ?? '',
      EventTypeID: cmd.EventTypeID ?? 0,
      dataset,
    });
    return { status, fields: { EventTypeID: cmd.EventTypeID } };
  }

  /** Processes a report (durably), schedules deletion when asked for, wakes waiters; returns the RSP status. */
  handleReport(report: IncomingReport): number {
    const decision = processReport(this.store, this.events, report);
    if (decision.accepted && decision.transaction) {
      const t = this.store.byId(decision.transaction.id)!;
      if (t.deleteAfterCommit) this.scheduleDeletion(t);
    }
    this.wake();
    return decision.status;
  }

  private wake() {
    for (const w of [...this.waiters]) w();
  }

  private scheduleDeletion(t: CommitTransaction): Promise<unknown> {
    this.deletions = this.deletions.then(() => this.runDeletion(t)).catch((err) => log.error('deletion failed:', err));
    return this.deletions;
  }

  private async runDeletion(t: CommitTransaction): Promise<void> {
    const outcomes = await deleteCommitted(this.store, t, {
      ...this.deleteHooks,
      afterDelete: (path) => {
        this.library?.forgetPath(path);
        this.deleteHooks.afterDelete?.(path);
      },
    });
    for (const o of outcomes) this.deletionOutcomes.set(o.instanceId, o);
    if (outcomes.length) {
      if (this.library && outcomes.some((o) => o.deleted)) {
        this.library.pruneOrphans();
        this.events?.emit('library.changed', {});
      }
      this.events?.emit('commit.changed', {
        transactionId: t.id,
        transactionUid: t.transactionUid,
        state: this.store.byId(t.id)!.state,
        counts: this.store.counts(t.id),
        instances: outcomes.slice(0, 5000).map((o) => ({ id: o.instanceId, state: 'committed' as const, failureReason: null, deleted: o.deleted })),
      });
    }
    this.wake();
  }

  /** Resolves when every deletion scheduled so far has run. */
  async deletionsIdle(): Promise<void> {
    let last: Promise<unknown>;
    do {
      last = this.deletions;
      await last;
    } while (last !== this.deletions);
  }

  // -------------------------------------------------------------------------------------------
  // Requesting

  /**
   * Records the transactions and sends their N-ACTIONs; returns them. Each transaction lists a SOP
   * Instance UID once: files sharing one go into layers of their own (sameUid.ts), and each layer
   * is split at chunkSize.
   */
  async request(r: CommitRequest, signal?: AbortSignal): Promise<CommitTransaction[]> {
    const node: CommitNode = { ...r.node, addresses: await resolveAddresses(r.node.host) };
    const ids: number[] = [];
    for (const layer of await planSameUid(r.instances)) {
      for (let at = 0; at < layer.length; at += this.options.chunkSize) {
        ids.push(
          this.store.createTransaction({
            transactionUid: newTransactionUid(),
            node,
            callingAe: r.callingAe ?? this.aeTitle,
            timeoutMs: r.timeoutMs ?? this.options.timeoutMs,
            maxAttempts: r.maxAttempts ?? this.options.maxAttempts,
            deleteAfterCommit: r.deleteAfterCommit,
            roots: r.roots,
            sendJobId: r.sendJobId ?? null,
            instances: layer.slice(at, at + this.options.chunkSize),
          }),
        );
      }
    }
    const txns = ids.map((id) => this.store.byId(id)!);
    this.emitState(txns);
    await this.sendActions(txns, signal);
    return ids.map((id) => this.store.byId(id)!);
  }

  /** Tells the UI, and every waiting settle loop (another may be following the same transactions), that states moved. */
  private emitState(txns: CommitTransaction[]) {
    for (const t of txns) {
      const now = this.store.byId(t.id)!;
      this.events?.emit('commit.changed', { transactionId: t.id, transactionUid: t.transactionUid, state: now.state, counts: this.store.counts(t.id) });
    }
    this.wake();
  }

  /**
   * Sends the N-ACTION of each transaction (all to one node) on one association and lingers for
   * a report on it. Failures are recorded on the transactions, never thrown: a node that cannot be
   * reached is tried again after `retryDelayMs` (same transaction: the node never saw it) while
   * attempts remain, not at the report deadline.
   */
  async sendActions(txns: CommitTransaction[], signal?: AbortSignal): Promise<void> {
    if (!txns.length) return;
    const node = txns[0].node;
    signal = this.until(signal);
    // Each try counts, even when the node cannot be reached, so retries always end.
    for (const t of txns) this.store.noteAttempt(t.id);
    let assoc: Association | undefined;
    try {
      try {
        assoc = await this.connect(node, 'same', txns[0].callingAe, Math.min(...txns.map((t) => t.timeoutMs)), signal);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        for (const t of txns) this.undelivered(t.id, connectFailure(message, node) ?? `N-ACTION not sent: ${message}`);
        this.emitState(txns);
        return;
      }
      const ctx = assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS);
      if (!ctx) {
        for (const t of txns) this.failAttempt(t.id, `${node.aeTitle} did not accept the Storage Commitment Push Model SOP Class`, true);
        this.emitState(txns);
        return;
      }
      for (const t of txns) {
        const refs = this.store.refs(t.id);
        try {
          const rsp = await assoc.request(
            { ...COMMIT_ACTION_COMMAND },
            ctx.id,
            encodeCommitRequest({ TransactionUID: t.transactionUid, referenced: refs }, ctx.transferSyntax !== IMPLICIT_LE),
          );
          if (rsp.status.category === 'success' || rsp.status.category === 'warning') this.store.markRequested(t.id);
          else this.failAttempt(t.id, `N-ACTION refused: ${rsp.status.hex} ${rsp.status.meaning}`);
        } catch (err) {
          this.failAttempt(t.id, `N-ACTION failed: ${err instanceof Error ? err.message : String(err)}`);
          if (!assoc.isOpen) break;
        }
      }
      this.emitState(txns);
      await this.waitFor(() => txns.every((t) => !isOpen(this.store.byId(t.id))), this.options.lingerMs, signal);
    } catch (err) {
      for (const t of txns) {
        if (this.store.byId(t.id)!.state === 'created') this.failAttempt(t.id, `N-ACTION not sent: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.emitState(txns);
    } finally {
      await assoc?.release().catch(() => assoc?.abort());
    }
  }

  /** The N-ACTION was refused or failed on the association; `final` also when attempts remain (trying again will not help). */
  private failAttempt(id: number, message: string, final = false) {
    const t = this.store.byId(id)!;
    this.store.markRequestFailed(id, message, final || t.attempts >= t.maxAttempts);
  }

  /** The node could not be reached: tried again soon while attempts remain, else failed (and re-requested at the next start). */
  private undelivered(id: number, message: string) {
    const t = this.store.byId(id)!;
    if (t.state !== 'created') return;
    if (t.attempts >= t.maxAttempts) this.store.markRequestFailed(id, message, true, { retryable: true });
    else this.store.markUndelivered(id, message, Date.now() + this.options.retryDelayMs * t.attempts);
  }

  private async connect(node: CommitNode, delivery: ReportDelivery, callingAe: string, reportTimeoutMs: number, signal?: AbortSignal): Promise<Association> {
    const tls = this.nodes.tlsFor(node) ?? undefined;
    return Association.connect({
      tls,
      host: node.host,
      port: node.port,
      callingAe,
      calledAe: node.aeTitle,
      contexts: [COMMITMENT_CONTEXT],
      // Orthanc never answers an N-ACTION from an AE it does not know: do not wait past the report deadline.
      timeouts: { ...this.options.timeouts, response: Math.min(this.options.timeouts?.response ?? 30_000, reportTimeoutMs) },
      signal,
      onRequest: (req) => this.onIncomingRequest(req, delivery, node.aeTitle),
    });
  }

  /** Opens an association to the node so it can deliver pending reports on it (delivery c). */
  async collect(node: CommitNode, awaiting: number[], signal?: AbortSignal): Promise<void> {
    let assoc: Association | undefined;
    signal = this.until(signal);
    try {
      assoc = await this.connect(node, 'next', this.aeTitle, this.options.timeoutMs, signal);
      await this.waitFor(() => awaiting.every((id) => !isOpen(this.store.byId(id))), this.options.collectMs, signal);
    } catch {
      // The node is unreachable: the deadline will re-request or time out.
    } finally {
      await assoc?.release().catch(() => assoc?.abort());
    }
  }

  /** Waits until `done()` or `ms` elapsed or `signal` fired; re-checks on every report. */
  private waitFor(done: () => boolean, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (done() || signal?.aborted) return resolve();
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, Math.max(0, ms));
      this.waiters.add(check);
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  /**
   * Drives transactions to an end: collects reports the node holds back, sends again an N-ACTION
   * the node could not be reached for, re-requests after a timeout while attempts remain (a new
   * transaction for what is still pending), times out the rest, and waits for scheduled deletions.
   * Resolves with the ids of every transaction involved.
   */
  async settle(ids: number[], signal?: AbortSignal): Promise<number[]> {
    signal = this.until(signal);
    const all = [...ids];
    const collected = new Set<string>();
    for (;;) {
      const open = all.map((id) => this.store.byId(id)!).filter(isOpen);
      if (!open.length || signal.aborted) break;
      const now = Date.now();
      let next = Infinity;
      for (const t of open) {
        const key = `${t.id}:${t.attempts}`;
        const collect = async () => {
          collected.add(key);
          await this.collect(t.node, open.filter((o) => o.node.host === t.node.host && o.node.port === t.node.port).map((o) => o.id), signal);
        };
        if (t.deadlineMs <= now) {
          if (t.undelivered && t.attempts < t.maxAttempts) {
            await this.sendActions([t], signal);
            continue;
          }
          // A deadline that passed while nothing was settling it (the app was closed or killed while
          // the node held the report for our next association): collect once before asking again,
          // or the report is answered by a needless second transaction.
          if (mayHoldReport(t) && !collected.has(key)) {
            await collect();
            continue;
          }
          const retry = this.retryOrTimeOut(t);
          if (retry) {
            all.push(retry.id);
            await this.sendActions([retry], signal);
          }
          continue;
        }
        // Halfway to a short deadline at the latest: a node's own timeout may be shorter than collectAfterMs.
        const collectAt = t.deadlineMs - t.timeoutMs + Math.min(this.options.collectAfterMs, Math.ceil(t.timeoutMs / 2));
        const canCollect = mayHoldReport(t) && !collected.has(key) && collectAt < t.deadlineMs;
        if (canCollect && collectAt <= now) {
          await collect();
          continue;
        }
        next = Math.min(next, t.deadlineMs, canCollect ? collectAt : Infinity);
      }
      if (next === Infinity) continue;
      const watched = open.map((t) => t.id);
      await this.waitFor(() => watched.some((id) => !isOpen(this.store.byId(id))), next - Date.now(), signal);
    }
    await this.deletionsIdle();
    return all;
  }

  /** At a transaction's deadline: a new transaction for its pending instances (attempts left), else time out. */
  private retryOrTimeOut(t: CommitTransaction): CommitTransaction | null {
    const pending = this.store.pendingInstances(t.id);
    if (t.attempts < t.maxAttempts && pending.length) {
      const id = this.store.createTransaction({
        transactionUid: newTransactionUid(),
        node: t.node,
        callingAe: t.callingAe,
        timeoutMs: Math.min(t.timeoutMs, this.options.maxTimeoutMs),
        maxAttempts: t.maxAttempts - Math.max(t.attempts, 1),
        deleteAfterCommit: t.deleteAfterCommit,
        roots: t.roots,
        sendJobId: t.sendJobId,
        retryOf: t.id,
        instances: pending,
      });
      const retry = this.store.byId(id)!;
      this.store.timeOut(t.id, `no report within ${Math.round(t.timeoutMs / 1000)} s; re-requested as ${retry.transactionUid}`);
      this.emitState([t, retry]);
      return retry;
    }
    this.store.timeOut(t.id, `no report from ${nodeText(t.node)} within ${Math.round(t.timeoutMs / 1000)} s`, { retryable: true });
    this.emitState([t]);
    return null;
  }

  /** A new transaction for the instances of `t` that are not committed (not yet sent: `sendActions`). */
  private async recordRetry(t: CommitTransaction, why: string): Promise<CommitTransaction | null> {
    const instances = this.store.uncommitted(t.id);
    if (!instances.length) return null;
    const id = this.store.createTransaction({
      transactionUid: newTransactionUid(),
      node: { ...t.node, addresses: (await resolveAddresses(t.node.host)).concat(t.node.addresses).filter((a, i, l) => l.indexOf(a) === i) },
      callingAe: t.callingAe,
      timeoutMs: Math.min(t.timeoutMs, this.options.maxTimeoutMs),
      maxAttempts: Math.max(t.maxAttempts, 1),
      deleteAfterCommit: t.deleteAfterCommit,
      roots: t.roots,
      sendJobId: t.sendJobId,
      retryOf: t.id,
      instances,
    });
    if (isOpen(t)) this.store.timeOut(t.id, why);
    return this.store.byId(id)!;
  }

  /** The user asks again: a new transaction for the instances of `transactionId` that are not committed. */
  async rerequest(transactionId: number, signal?: AbortSignal): Promise<CommitTransaction> {
    const t = this.store.byId(transactionId);
    if (!t) throw new Error(`No transaction ${transactionId}`);
    const retry = await this.recordRetry({ ...t, callingAe: this.aeTitle }, 're-requested by the user');
    if (!retry) throw new Error('Every instance of this transaction is committed');
    await this.sendActions([retry], signal);
    return this.store.byId(retry.id)!;
  }

  /**
   * After a restart: finishes interrupted deletions, sends N-ACTIONs that never went out, and (with
   * `rerequest`) asks again for what transactions that timed out or could not reach their node in
   * the last `RECOVERY_DAYS` days left uncommitted — after an outage longer than the commit budget,
   * that is the recovery. Returns the open transactions' ids (pass them to `settle`).
   */
  async resume(signal?: AbortSignal, opts: { rerequest?: boolean } = {}): Promise<number[]> {
    signal = this.until(signal);
    for (const id of this.store.transactionsWithDeletionsDue()) void this.scheduleDeletion(this.store.byId(id)!);
    await this.deletionsIdle();
    const retries: CommitTransaction[] = [];
    if (opts.rerequest) {
      for (const t of this.store.recoverable(Date.now() - RECOVERY_DAYS * 86_400_000)) {
        const retry = await this.recordRetry(t, 're-requested after a restart');
        this.store.clearRetryable(t.id);
        if (retry) retries.push(retry);
      }
    }
    const open = this.store.open();
    const neverSent = open.filter((t) => t.state === 'created' && t.attempts === 0);
    const byNode = new Map<string, CommitTransaction[]>();
    for (const t of neverSent) {
      const key = nodeText(t.node);
      byNode.set(key, [...(byNode.get(key) ?? []), t]);
    }
    for (const group of byNode.values()) await this.sendActions(group, signal);
    this.emitState(retries);
    return open.map((t) => t.id);
  }

  /**
   * At start: listens on `port` (our configured accepter port; null = do not listen). Never throws:
   * a port in use is reported through `accepterProblem` (the UI shows it), and reports are then
   * collected on our next association instead.
   */
  async listenAtStart(port: number | null, host = '0.0.0.0'): Promise<void> {
    if (port === null) return;
    await this.startAccepter(port, host).catch((err) =>
      log.error(`The storage commitment accepter could not listen on port ${port} (reports will be collected on our next association instead):`, err),
    );
  }

  /** Stops every wait, the accepter, and waits for deletions in flight. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.stopAccepter();
    await this.deletionsIdle();
    this.store.flushReportLog();
  }
}

/** Transactions that timed out or could not reach their node are asked again at a start within this many days. */
export const RECOVERY_DAYS = 7;
