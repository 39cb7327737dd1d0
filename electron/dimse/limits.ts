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
 * Memory all associations of the process together may hold for incoming data that is not a
 * whole message yet: partial PDUs, command fragments and datasets kept in memory. An association
 * whose data would pass it is aborted; the others go on.
 */
export const INBOUND_MEMORY_LIMIT = 32 * 1024 * 1024;

/** A number of bytes shared by many holders, never exceeded. */
export class MemoryBudget {
  readonly limit: number;
  private used = 0;

  constructor(limit: number) {
    this.limit = limit;
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
