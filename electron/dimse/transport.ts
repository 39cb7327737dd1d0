/**
 * The byte stream under an association (PS3.8 §9.1: TCP; DICOM over TLS per PS3.15 Annex B.9):
 * opening the connection, writing with backpressure, and closing. It knows nothing of PDUs beyond
 * the bytes it is handed; the state machine (stateMachine.ts) reads what arrives.
 */
import { Socket, connect as tcpConnect, type SocketConstructorOpts } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { PeerClosed, Timeout, type DimseError } from './errors.ts';
import { limitUnsentBytes } from '../native/socketOptions.ts';
import { describeTlsError, serverName, type TlsCredentials } from './tls.ts';

/** The reused read buffer of a connection we open. */
const READ_BUFFER = 64 * 1024;
/** Bytes queued in the socket before a writer waits for 'drain': fewer wake-ups than Node's 16 KiB default. */
const HIGH_WATER = 4 * 1024 * 1024;
/** Bytes the kernel may hold unsent for us (socketOptions.ts says why; 32–128 KiB measured alike). */
const UNSENT_LIMIT = 128 * 1024;
/** How long a peer has to close its side after a release or rejection, before we close the socket. */
const GRACE_MS = 5000;

/** The read buffer of every connection we accept over TCP: one for all, since each read is handled whole before the next. */
let acceptedReads: Buffer | null = null;

/**
 * Moves a connection a server accepted over TCP to a socket whose reads land in `acceptedReads`
 * and come to `onRead` (net's `onread`, which Node offers for connections we open but not for those
 * a server accepts): `raw` is closed, the connection is the returned socket's. Bytes `raw` had read
 * and not handed on yet are returned with it. Null, leaving `raw` as it is, for a TLS socket, or
 * where the socket's handle is not where Node has kept it (`_handle`, as socketOptions.ts reads it).
 *
 * Why: a socket read into a new buffer each time (up to 64 KiB a read) leaves every byte a peer
 * sends as garbage, and V8 collects buffers only once 64 MB or so of them are waiting. A peer
 * flooding us with data then cost the process that much more than the data it may make us hold.
 */
function withSharedReads(raw: Socket, onRead: (chunk: Buffer) => void): { socket: Socket; buffered: Buffer | null } | null {
  const r = raw as unknown as { _handle?: object | null };
  if (raw instanceof TLSSocket || !r._handle || raw.destroyed) return null;
  const buffered = raw.readableLength ? (raw.read() as Buffer | null) : null;
  const buffer = (acceptedReads ??= Buffer.allocUnsafe(READ_BUFFER));
  const options = {
    handle: r._handle,
    readable: true,
    writable: true,
    onread: { buffer, callback: (n: number, buf: Uint8Array) => (onRead(Buffer.from(buf.buffer, buf.byteOffset, n)), true) },
  };
  const socket = new Socket(options as SocketConstructorOpts);
  r._handle = null;
  raw.destroy();
  return { socket, buffered };
}

/** What a transport reports to its owner. */
export interface TransportEvents {
  /** Bytes from the peer; `transient` when `chunk` is a read buffer that is reused after this call. */
  data(chunk: Buffer, transient: boolean): void;
  /** The connection failed (a 'closed' follows). */
  error(err: DimseError): void;
  /** The connection closed. */
  closed(): void;
}

/** Where to connect, and with what TLS credentials (plain TCP without). */
export interface Endpoint {
  host: string;
  port: number;
  tls?: TlsCredentials;
}

/** One connection: a socket, its writes and its end. */
export class Transport {
  readonly socket: Socket;
  private drainWaiters: (() => void)[] = [];
  /** Set once the association has ended: writes after that throw it. */
  private ended: { failure: DimseError | null } | null = null;

  /**
   * Opens a connection to `to` (TCP, or TLS with credentials). Over TCP, reads land in one reused
   * buffer and come straight to `events.data` (no stream 'data' events and no buffer per read): a
   * sender reads one small response per store.
   */
  static open(to: Endpoint, events: TransportEvents): Transport {
    const socket = to.tls
      ? tlsConnect({ host: to.host, port: to.port, servername: serverName(to.host), ...to.tls })
      : tcpConnect({
          host: to.host,
          port: to.port,
          onread: {
            buffer: Buffer.allocUnsafe(READ_BUFFER),
            callback: (n: number, buf: Uint8Array) => {
              events.data(Buffer.from(buf.buffer, buf.byteOffset, n), true);
              return true;
            },
          },
        });
    return new Transport(socket, events);
  }

  /**
   * Takes over a connection a server accepted (plain or TLS). Over TCP its reads land in one buffer
   * shared by all accepted connections (`withSharedReads`): `socket` is replaced by the transport's.
   */
  static accept(socket: Socket, events: TransportEvents): Transport {
    const shared = withSharedReads(socket, (chunk) => events.data(chunk, true));
    if (!shared) return new Transport(socket, events);
    const { buffered } = shared;
    // (Bytes read before the move, e.g. the first one the server looked at, come first: before any read of the new socket.)
    if (buffered) queueMicrotask(() => events.data(buffered, false));
    return new Transport(shared.socket, events);
  }

  /** Wraps a connected socket. */
  constructor(socket: Socket, events: TransportEvents) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => events.data(chunk, false));
    socket.on('drain', () => this.wakeWriters());
    socket.on('error', (err: NodeJS.ErrnoException) => events.error(new PeerClosed(describeTlsError(err) ?? `Connection error: ${err.message}`, err.code)));
    socket.on('close', () => events.closed());
  }

  /**
   * Resolves once connected: for TLS once the handshake has verified the peer ('secureConnect').
   * `failure` is the association's own reason when the socket closes first.
   */
  connected(timeoutMs: number, failure: () => DimseError | null): Promise<void> {
    const tls = this.socket instanceof TLSSocket;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Timeout('connect', timeoutMs)), timeoutMs);
      this.socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new PeerClosed(describeTlsError(err) ?? `Could not connect: ${err.message}`, err.code));
      });
      this.socket.once('close', () => {
        clearTimeout(timer);
        reject(failure() ?? new PeerClosed('Could not connect'));
      });
    }).then(() => {
      // (A TLS socket's records are written by OpenSSL through its own handle: no such option there.)
      if (!tls) limitUnsentBytes(this.socket, UNSENT_LIMIT);
    });
  }

  /** "address:port" of the peer, for logs. */
  get peer(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Bytes written so far (nonzero: the peer heard from us). */
  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  /** Writes a PDU of the protocol's own (association, release, abort) unless the socket is gone. */
  send(pdu: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(pdu);
  }

  /**
   * Queues `buf`; `flushed` runs when the socket is done with it (written or failed). Returns a
   * promise to wait on when HIGH_WATER bytes are queued, else null. Throws once the association ended.
   */
  write(buf: Buffer, flushed?: () => void): Promise<void> | null {
    if (this.ended) throw this.ended.failure ?? new PeerClosed();
    if (this.socket.write(buf, flushed ? () => flushed() : undefined) || this.socket.writableLength < HIGH_WATER) return null;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** `write` inside a corked batch: waiting for drain uncorks, so what is queued goes out meanwhile. */
  async writeCorked(buf: Buffer, flushed?: () => void): Promise<void> {
    const w = this.write(buf, flushed);
    if (w) {
      this.socket.uncork();
      await w;
      this.socket.cork();
    }
  }

  /** Holds writes back to send them in one batch (`uncork`). */
  cork(): void {
    this.socket.cork();
  }

  /** Sends what `cork` held back. */
  uncork(): void {
    if (!this.socket.destroyed) this.socket.uncork();
  }

  /**
   * Ends the connection once the association ended with `failure` (null: released): writes throw
   * from now on, writers waiting for drain go on. Not `graceful`: nothing more is read, and the
   * socket is destroyed 50 ms later, time for an A-ABORT we may have written to go out. Graceful
   * (a release, a rejection): the peer has GRACE_MS to close its side.
   */
  end(failure: DimseError | null, graceful: boolean): void {
    this.ended = { failure };
    this.wakeWriters();
    this.socket.end();
    if (!graceful) this.socket.pause();
    setTimeout(() => this.socket.destroy(), graceful ? GRACE_MS : 50).unref();
  }

  private wakeWriters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
