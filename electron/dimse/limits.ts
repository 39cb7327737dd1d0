/**
 * What a peer can make us hold, and for how long: a hostile or broken peer on the network must not
 * be able to exhaust Courier's memory or connections (the timeouts are in stateMachine.ts's
 * `Timeouts`, the caps on associations in server.ts's `ServerLimits`).
 */

/**
 * The largest command set we take (PS3.7 §9.3, §10.3). A command is a dozen short elements, a few
 * hundred bytes; the longest any service defines, an N-GET's Attribute Identifier List, is 4 bytes
 * a tag. Fragments beyond this abort the association.
 */
export const MAX_COMMAND_BYTES = 16 * 1024;

/**
 * Largest dataset kept in memory for one incoming request or response other than a C-STORE (those
 * go to a file). The largest we expect, a storage commitment report, takes about 100 bytes an
 * instance: a 10,000-instance report is about a megabyte, this allows 80,000.
 */
export const MAX_MEMORY_DATASET = 8 * 1024 * 1024;

/**
 * The longest P-DATA-TF we send, whatever Max PDU Length the peer declares (PS3.8 §D.1 lets it
 * say 0, "no limit", or up to 4 GiB): our frame buffers are laid out by this, never by the peer's word.
 */
export const MAX_PDU_SENT = 1024 * 1024;

/**
 * The longest PDU other than a P-DATA-TF we read: an A-ASSOCIATE-RQ/AC/RJ, a release or an abort.
 * PS3.8 bounds only P-DATA-TFs by the Max PDU Length; an A-ASSOCIATE-RQ proposing all 128 presentation
 * contexts with ten transfer syntaxes each comes to about 100 KB. (P-DATA-TFs are never gathered
 * whole: pdu.ts's PduReader hands their data on as it arrives.)
 */
export const MAX_CONTROL_PDU = 256 * 1024;

/**
 * Memory all associations of the process together may hold for incoming data that is not a
 * whole message yet: command fragments and datasets kept in memory (in INBOUND_BLOCK blocks), an
 * A-ASSOCIATE PDU partly read, requests waiting their turn. An association whose data would pass
 * it is aborted; the others go on.
 */
export const INBOUND_MEMORY_LIMIT = 32 * 1024 * 1024;

/**
 * Incoming data kept until its message is whole is copied into blocks of this size, which go back
 * to the budget's spares when the message is whole or abandoned and are used again (`MemoryBudget.block`).
 */
export const INBOUND_BLOCK = 64 * 1024;

/**
 * A number of bytes shared by many holders, never exceeded, and the spare blocks they keep data in.
 *
 * Why spares: a block dropped after use is garbage that stays in memory until the garbage collector
 * runs, and V8 lets external memory grow by 64 MB before it does; a flood of datasets that never
 * end (abort, reconnect, again) then held twice the limit and more. Blocks given back are used
 * again instead, so what incoming data ever takes is the limit, at most, and it stays that.
 */
export class MemoryBudget {
  readonly limit: number;
  private used = 0;
  private readonly spares: Buffer[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** An INBOUND_BLOCK-byte block to keep incoming data in: a spare when there is one. Counting it is the holder's business (`take`). */
  block(): Buffer {
    return this.spares.pop() ?? Buffer.allocUnsafeSlow(INBOUND_BLOCK);
  }

  /** Takes back a block no longer used; kept as a spare while the spares are fewer than the limit's worth. */
  giveBack(block: Buffer): void {
    if ((this.spares.length + 1) * INBOUND_BLOCK <= this.limit) this.spares.push(block);
  }

  /** Bytes in spare blocks. */
  get spare(): number {
    return this.spares.length * INBOUND_BLOCK;
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` more (negative: gives them back); false, taking nothing, when that would pass the limit. */
  take(bytes: number): boolean {
    if (bytes > 0 && this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
}

/** The process's budget for incoming data (`INBOUND_MEMORY_LIMIT`). */
export const inboundMemory = new MemoryBudget(INBOUND_MEMORY_LIMIT);
