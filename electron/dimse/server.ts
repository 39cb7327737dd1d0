/**
 * An SCP listener: one TCP port, one `Association` (acceptor) per connection. Decides on each
 * A-ASSOCIATE-RQ (calling AE, called AE, presentation contexts, SCP/SCU role selection) and routes
 * requests to handlers. A handler that throws becomes a failure status to the peer (0x0110);
 * notification hooks never break an association.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsCredentials } from './tls.ts';
import { Association, VERIFICATION, type Caller, type IncomingRequest, type NegotiatedContext, type Negotiation, type Reply, type Timeouts } from './association.ts';
import { CommandField } from './command.ts';
import { ContextResult, type AssociateRq, type RoleSelection } from './pdu.ts';
import { READ_TRANSFER_SYNTAXES } from '../dicom/transferSyntax.ts';
import { throttled } from './throttle.ts';
import { logger } from '../log.ts';

const log = logger('dimse');

/** A request handler for one kind of operation. */
export type Handler = (req: IncomingRequest) => Reply | Promise<Reply>;

/** What the server accepts and how it answers. */
export interface ServerOptions {
  /** Our AE title; associations calling another AE are rejected unless `anyCalledAe`. */
  aeTitle: string;
  anyCalledAe?: boolean;
  /**
   * Decides on a calling AE and the caller (its address, whether it came over TLS); false rejects
   * (calling AE not recognized). It may take its time (a promise). Default: accept all.
   */
  acceptCalling?: (callingAe: string, peer: Caller) => boolean | Promise<boolean>;
  /** SOP classes accepted (besides Verification, always accepted). `'storage'` accepts any abstract syntax for C-STORE. */
  abstractSyntaxes?: string[] | ((uid: string) => boolean);
  /** Transfer syntaxes accepted, in order of our preference; default: every one Courier knows. */
  transferSyntaxes?: string[];
  /** The roles we grant when the requestor proposes role selection; default: grant what it asked. */
  roleSelection?: (sopClassUid: string, proposed: { scu: boolean; scp: boolean }) => { scu: boolean; scp: boolean };
  /** Handlers by operation; C-ECHO answers Success without one. */
  handlers?: {
    echo?: Handler;
    /** C-STORE: the dataset arrives as a file at `req.datasetPath` (move it to keep it). */
    store?: Handler;
    nAction?: Handler;
    nEventReport?: Handler;
    /** Any other operation. */
    other?: Handler;
  };
  /** Where C-STORE datasets are streamed while they arrive; default the OS temp folder. */
  tempDir?: string;
  maxPdu?: number;
  timeouts?: Partial<Timeouts>;
  /** Caps on connections (defaults: DEFAULT_SERVER_LIMITS). */
  limits?: Partial<ServerLimits>;
  /** Called once per accepted association (e.g. to send N-EVENT-REPORTs on it, or log). */
  onAssociation?: (assoc: Association) => void;
  /** Called for associations we rejected or that failed before being accepted. */
  onRejected?: (info: { callingAe: string; calledAe: string; reason: string }) => void;
  /**
   * DICOM over TLS on the same port (PS3.15 Annex B.9): our certificate, key and trusted CAs, asked
   * for at each TLS connection (so changed settings apply at once); null refuses TLS connections.
   * Peers must present a certificate we trust. Absent: plain TCP only.
   */
  tls?: () => TlsCredentials | null;
}

/** How many connections the server holds at once; one more is closed at once, before any PDU is read. */
export interface ServerLimits {
  /** Connections in all (associations, and connections that have not asked for one yet). */
  connections: number;
  /** Connections from one address. */
  connectionsPerPeer: number;
}

/**
 * Enough for every legitimate use (a PACS reporting on a few associations, `courier send`'s
 * parallel associations), few enough that a flood of idle connections costs little, and from one
 * address never all of them.
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = { connections: 32, connectionsPerPeer: 8 };

/** A TLS record starts with its content type; a handshake is 22 (RFC 8446 §5.1). */
const TLS_HANDSHAKE = 0x16;


/** A running SCP. */
export interface DimseServer {
  port: number;
  /** Associations currently open. */
  readonly associations: ReadonlySet<Association>;
  /** Stops listening and aborts open associations. */
  close(): Promise<void>;
}

const safe = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    log.error('notification hook failed:', err);
  }
};

/** Builds the negotiator the acceptor uses (exported for tests and the commit accepter). */
export function negotiator(opts: ServerOptions) {
  const tsList = opts.transferSyntaxes ?? READ_TRANSFER_SYNTAXES;
  const accepts = (uid: string) => {
    if (uid === VERIFICATION) return true;
    const a = opts.abstractSyntaxes;
    if (!a) return false;
    return typeof a === 'function' ? a(uid) : a.includes(uid);
  };
  const callingNotRecognized: Negotiation = { reject: { result: 1, source: 1, reason: 3 } };
  const decide = (rq: AssociateRq): Negotiation => {
    const contexts: NegotiatedContext[] = rq.contexts.map((c) => {
      if (!accepts(c.abstractSyntax)) return { id: c.id, abstractSyntax: c.abstractSyntax, transferSyntax: '', accepted: false, result: ContextResult.AbstractSyntaxNotSupported };
      // The requestor's order of preference among what we support (it proposes what it has first).
      const ts = c.transferSyntaxes.find((t) => tsList.includes(t));
      if (!ts) return { id: c.id, abstractSyntax: c.abstractSyntax, transferSyntax: '', accepted: false, result: ContextResult.TransferSyntaxesNotSupported };
      return { id: c.id, abstractSyntax: c.abstractSyntax, transferSyntax: ts, accepted: true, result: ContextResult.Acceptance };
    });
    const roles: RoleSelection[] = [];
    for (const r of rq.user.roles) {
      if (!contexts.some((c) => c.accepted && c.abstractSyntax === r.sopClassUid)) continue;
      const granted = opts.roleSelection ? opts.roleSelection(r.sopClassUid, { scu: r.scu, scp: r.scp }) : { scu: r.scu, scp: r.scp };
      roles.push({ sopClassUid: r.sopClassUid, scu: granted.scu && r.scu, scp: granted.scp && r.scp });
      for (const c of contexts) if (c.abstractSyntax === r.sopClassUid) c.role = { scu: granted.scu && r.scu, scp: granted.scp && r.scp };
    }
    // (PS3.8 allows accepting with every context rejected; we do, so the requestor sees why per context.)
    return { contexts, roles };
  };
  return (rq: AssociateRq, peer: Caller): Negotiation | Promise<Negotiation> => {
    if (rq.protocolVersion !== 1 && (rq.protocolVersion & 1) === 0) return { reject: { result: 1, source: 2, reason: 2 } };
    if (rq.applicationContext !== '1.2.840.10008.3.1.1.1') return { reject: { result: 1, source: 1, reason: 2 } };
    if (!opts.anyCalledAe && rq.calledAe !== opts.aeTitle.trim()) return { reject: { result: 1, source: 1, reason: 7 } };
    if (!opts.acceptCalling) return decide(rq);
    const known = opts.acceptCalling(rq.callingAe, peer);
    if (known instanceof Promise) return known.then((yes) => (yes ? decide(rq) : callingNotRecognized));
    return known ? decide(rq) : callingNotRecognized;
  };
}

/** "1.2.3.4" for "::ffff:1.2.3.4": one peer, one count, whichever way the socket spells it. */
const peerKey = (address: string | undefined) => {
  const a = (address ?? '').toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
};

type Rejection = { callingAe: string; calledAe: string; reason: string };

/** Starts an SCP on `port` (0 = any) at `host` (default 127.0.0.1). */
export async function startServer(opts: ServerOptions, port = 0, host = '127.0.0.1'): Promise<DimseServer> {
  const negotiate = negotiator(opts);
  const open = new Set<Association>();
  const sockets = new Set<Socket>();
  const tempDir = opts.tempDir ?? join(tmpdir(), 'courier-scp');
  mkdirSync(tempDir, { recursive: true });
  const handlers = opts.handlers ?? {};

  const route = (req: IncomingRequest): Reply | Promise<Reply> => {
    switch (req.command.CommandField) {
      case CommandField.CEchoRq:
        return handlers.echo ? handlers.echo(req) : { status: 0 };
      case CommandField.CStoreRq:
        return handlers.store ? handlers.store(req) : { status: 0x0122, fields: { ErrorComment: 'Storage is not accepted here' } };
      case CommandField.NActionRq:
        return handlers.nAction ? handlers.nAction(req) : { status: 0x0211 };
      case CommandField.NEventReportRq:
        return handlers.nEventReport ? handlers.nEventReport(req) : { status: 0x0211 };
      default:
        return handlers.other ? handlers.other(req) : { status: 0x0211 };
    }
  };

  const limits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  const perPeer = new Map<string, number>();
  const reasons: Record<number, string> = { 2: 'application context or protocol not supported', 3: 'calling AE title not recognized', 7: 'called AE title not recognized' };
  // One by one, 20 per 10 s at most: a flood of connections must not become a flood of log lines.
  const reportRejection = throttled<Rejection>(
    (info) => {
      if (opts.onRejected) safe(() => opts.onRejected!(info));
      else log.warn(`refused ${info.callingAe || info.calledAe ? `${info.callingAe} → ${info.calledAe}` : 'a connection'}: ${info.reason}`);
    },
    (n, ms) => ({ callingAe: '', calledAe: '', reason: `${n} more connections or associations refused in ${ms / 1000} s (not listed one by one)` }),
  );

  /** Counts `socket` among the connections held until it closes; one of `peer`'s (already counted in `perPeer`). */
  const hold = (socket: Socket, peer: string) => {
    sockets.add(socket);
    socket.once('close', () => {
      if (!sockets.delete(socket)) return; // (its connection moved to another socket object, held in its stead)
      const left = (perPeer.get(peer) ?? 1) - 1;
      if (left > 0) perPeer.set(peer, left);
      else perPeer.delete(peer);
    });
  };

  const accept = (socket: Socket, peer: string) => {
    const assoc = Association.accept(
      socket,
      (rq, peer) => {
        const answered = (d: Negotiation) => {
          if ('reject' in d) {
            const reason = reasons[d.reject.reason] ?? 'rejected';
            reportRejection({ callingAe: rq.callingAe, calledAe: rq.calledAe, reason: `${reason} (from ${peer.address}${peer.tls ? ', over TLS' : ''})` });
          } else {
            open.add(assoc);
            if (opts.onAssociation) queueMicrotask(() => safe(() => opts.onAssociation!(assoc)));
          }
          return d;
        };
        const d = negotiate(rq, peer);
        return d instanceof Promise ? d.then(answered) : answered(d);
      },
      { maxPdu: opts.maxPdu, timeouts: opts.timeouts, onRequest: route },
    );
    if (assoc.socket !== socket) {
      sockets.delete(socket);
      hold(assoc.socket, peer);
    }
    assoc.storeTo = (cmd) => (handlers.store && cmd.CommandField === CommandField.CStoreRq ? join(tempDir, `${randomUUID()}.part`) : null);
    void assoc.closed.then(() => open.delete(assoc));
  };
  /** Ends a connection refused before any association (no AE titles known yet: both ''). */
  const refuse = (raw: Socket, reason: string) => {
    reportRejection({ callingAe: '', calledAe: '', reason: `${reason} (from ${raw.remoteAddress})` });
    raw.destroy();
  };

  // A connection has this long to say whether it is TLS, and then to finish its handshake.
  const acceptWithin = opts.timeouts?.associate ?? 30_000;
  const server: Server = createServer((raw) => {
    const peer = peerKey(raw.remoteAddress);
    const fromPeer = perPeer.get(peer) ?? 0;
    if (sockets.size >= limits.connections || fromPeer >= limits.connectionsPerPeer) {
      raw.on('error', () => {});
      const which = sockets.size >= limits.connections ? `the ${limits.connections} connections we hold at once` : `the ${limits.connectionsPerPeer} connections we hold from one address`;
      return refuse(raw, `too many connections: closed at once, beyond ${which}`);
    }
    perPeer.set(peer, fromPeer + 1);
    hold(raw, peer);
    if (!opts.tls) return accept(raw, peer);
    // Plain DICOM and DICOM over TLS on one port: the first byte tells them apart, an A-ASSOCIATE-RQ
    // being PDU type 1 (PS3.8 §9.3.2) and a TLS connection opening with a handshake record.
    const idle = setTimeout(() => raw.destroy(), acceptWithin);
    raw.on('error', () => {}); // before an association owns it: a reset is nobody's business
    raw.once('close', () => clearTimeout(idle));
    raw.once('data', (first: Buffer) => {
      clearTimeout(idle);
      raw.pause();
      raw.unshift(first);
      if (first[0] !== TLS_HANDSHAKE) {
        accept(raw, peer);
        if (!raw.destroyed) raw.resume(); // (else its connection moved to a socket of the association's own, reading)
        return;
      }
      let credentials: TlsCredentials | null;
      try {
        credentials = opts.tls!();
      } catch (err) {
        return refuse(raw, `DICOM over TLS, but our TLS files cannot be used: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!credentials?.cert || !credentials.key) return refuse(raw, 'DICOM over TLS, but our certificate and key are not set (Settings → This station)');
      // Handed to a tls.Server: one made from a socket (new TLSSocket) finishes the handshake whatever
      // the caller's certificate, and never says whether it is one we trust. Here `authorized` does.
      const tlsServer = createTlsServer({ requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', handshakeTimeout: acceptWithin, ...credentials });
      tlsServer.once('tlsClientError', (err: NodeJS.ErrnoException) => refuse(raw, `TLS handshake failed: ${err.code ?? err.message}`));
      tlsServer.once('secureConnection', (secure: TLSSocket) => {
        if (!secure.authorized) {
          const none = !secure.getPeerCertificate()?.subject;
          secure.on('error', () => {});
          secure.destroy();
          return refuse(raw, none ? 'TLS handshake failed: the caller sent no certificate' : `TLS: the caller's certificate is not signed by a CA we trust (${String(secure.authorizationError)})`);
        }
        accept(secure, peer);
      });
      tlsServer.emit('connection', raw);
    });
  });
  server.on('error', (err) => log.error('server error:', err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    port: actualPort,
    associations: open,
    async close() {
      reportRejection.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const a of open) a.abort();
        for (const s of sockets) s.destroy();
      });
    },
  };
}
