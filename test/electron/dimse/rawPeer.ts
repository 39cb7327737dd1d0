/**
 * A hostile (or broken) DICOM peer for tests: a plain socket that sends whatever PDU bytes it is
 * told to, and records what comes back and when the connection closes. Nothing here checks or
 * follows the protocol; that is the point.
 */
import { connect, type Socket } from 'node:net';
import { PduReader, encodePdu, type AssociateAc, type Pdu } from '../../../electron/dimse/pdu.ts';
import { encodeCommand, type Command } from '../../../electron/dimse/command.ts';
import { IMPLEMENTATION_CLASS_UID } from '../../../electron/dimse/pdu.ts';
import { IMPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';

/** The Verification SOP Class. */
export const VERIFICATION = '1.2.840.10008.1.1';

/** One raw connection. */
export class RawPeer {
  readonly socket: Socket;
  /** PDUs received so far (of a P-DATA-TF that spanned reads, the PDVs' last piece only). */
  readonly received: Pdu[] = [];
  /** Resolves when the connection has closed, with the ms since it was opened. */
  readonly closed: Promise<number>;
  /** Bytes written so far. */
  sent = 0;
  private readonly reader = new PduReader(64 * 1024 * 1024);
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    const opened = Date.now();
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      try {
        // (A P-DATA-TF that spans reads comes in pieces: it is recorded once, by its last.)
        this.received.push(...this.reader.push(d).filter((p) => p.type !== 'p-data' || !p.continued));
      } catch {
        // whatever the server sends, we only record it
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        for (const w of this.waiters.splice(0)) w();
        resolve(Date.now() - opened);
      }),
    );
  }

  /** Connects to 127.0.0.1:`port`, from `localAddress` (any 127.x.y.z: another "host"). */
  static open(port: number, localAddress = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  /** True once the connection has closed. */
  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed';
  }

  /** Writes bytes; false once the connection is gone (never throws). */
  write(b: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.sent += b.length;
    this.socket.write(b);
    return true;
  }

  /** Resolves once `pred` holds (looked at as data comes, and every 20 ms) or the connection closed, or after `ms`. */
  async until(pred: () => boolean, ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred() && !this.isClosed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(20, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return pred();
  }

  /** Sends an A-ASSOCIATE-RQ (Verification + `abstractSyntaxes`, Implicit VR LE) and waits for the answer. */
  async associate(calledAe: string, callingAe = 'RAW', abstractSyntaxes: string[] = [], maxPduLength = 16384): Promise<AssociateAc | null> {
    this.write(
      encodePdu({
        type: 'associate-rq',
        protocolVersion: 1,
        calledAe,
        callingAe,
        applicationContext: '1.2.840.10008.3.1.1.1',
        contexts: [VERIFICATION, ...abstractSyntaxes].map((abstractSyntax, i) => ({ id: 2 * i + 1, abstractSyntax, transferSyntaxes: [IMPLICIT_LE] })),
        user: { maxPduLength, implementationClassUid: IMPLEMENTATION_CLASS_UID, roles: [] },
      }),
    );
    await this.until(() => this.received.some((p) => p.type === 'associate-ac' || p.type === 'associate-rj'));
    const ac = this.received.find((p) => p.type === 'associate-ac');
    return ac ?? null;
  }

  /** Whether the peer sent an A-ABORT. */
  get aborted(): boolean {
    return this.received.some((p) => p.type === 'abort');
  }

  /** Closes the connection. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** One P-DATA-TF PDU with one PDV. */
export function pdata(contextId: number, command: boolean, last: boolean, data: Uint8Array): Buffer {
  return encodePdu({ type: 'p-data', pdvs: [{ contextId, command, last, data }] });
}

/** A command set's bytes. */
export const commandBytes = (cmd: Command): Buffer => encodeCommand(cmd);
