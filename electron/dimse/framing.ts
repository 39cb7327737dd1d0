/**
 * Outgoing P-DATA-TF framing (PS3.8 §9.3.5, PS3.7 Annex F): a command set and its dataset cut into
 * PDUs no longer than the peer accepts, and written to the transport. A C-STORE's dataset is the
 * file's own bytes, read straight into the PDUs' data (readv, no copy) or streamed from disk a
 * megabyte at a time, so memory is bounded by the socket's backpressure.
 *
 * Frames (about a megabyte of PDUs each) and small files' read buffers are pooled and reused:
 * fresh megabytes page-fault, and allocating them per store cost more than sending.
 */
import { closeSync, fstatSync, openSync, readSync, readvSync, type Stats } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { encodeCommand, type Command } from './command.ts';
import { DimseError } from './errors.ts';
import { PDATA_HEADER_SIZE, pDataHeader } from './pdu.ts';
import type { Transport } from './transport.ts';
import type { Association } from './association.ts';
import { MAX_PDU_SENT } from './limits.ts';

/** Files up to this size are read with one synchronous read (page cache: well under a millisecond); larger ones in async 1 MiB chunks. */
const SMALL_FILE = 2 * 1024 * 1024;
/** Data bytes framed into one buffer per socket write. */
const FRAME_BYTES = 1024 * 1024;
/** Frame buffers kept for reuse per association. */
const FREE_FRAMES = 8;

/** Where a dataset to send comes from: bytes in memory, or a byte range of a file. */
export type DatasetSource = Buffer | { path: string; offset: number; length?: number } | FramedDataset;

/**
 * A dataset already cut into P-DATA-TF PDUs for one presentation context of one association
 * (`Association.frame`), so sending it is only socket writes: the copy into PDUs is done while
 * the peer still works on the previous message.
 */
export interface FramedDataset {
  framedFor: Association;
  contextId: number;
  frames: Buffer[];
}

/** A small dataset read ahead into a reusable buffer (`preloadWith`), to be cut into PDUs (`Association.frame`). */
export interface PreloadedDataset {
  preloaded: true;
  data: Buffer;
  pooled: Buffer;
}

/** A file's dataset opened for sending. */
export interface OpenSource {
  path: string;
  offset: number;
  size: number;
  /** The whole dataset, for small files (read at once). */
  data?: Buffer;
  /** The pool buffer `data` lives in, given back once written. */
  pooled?: Buffer;
}

/** Read buffers for small datasets, reused once the socket has flushed them: allocating a fresh
 * half-megabyte buffer per file (mmap, page faults, munmap) cost more than sending it. */
const bufferPool: Buffer[] = [];
const POOL_MAX = 8;
const takeBuffer = (): Buffer => bufferPool.pop() ?? Buffer.allocUnsafeSlow(SMALL_FILE);
const giveBack = (b: Buffer) => {
  if (bufferPool.length < POOL_MAX) bufferPool.push(b);
};

/**
 * Reads a dataset ahead into a pooled buffer through `read`, which returns the dataset's bytes
 * within the buffer (or null: nothing to keep, and the buffer goes back to the pool).
 */
export function preloadWith(read: (buffer: Buffer) => Buffer | null): PreloadedDataset | null {
  const pooled = takeBuffer();
  let data: Buffer | null = null;
  try {
    data = read(pooled);
  } finally {
    if (!data) giveBack(pooled);
  }
  return data ? { preloaded: true, data, pooled } : null;
}

/** Gives back the buffer of a preloaded dataset that will not be sent (a framed one needs nothing). */
export function discardPreloaded(p: PreloadedDataset | FramedDataset | null | undefined): void {
  if (p && 'preloaded' in p) giveBack(p.pooled);
}

/** Opens a file source: small datasets are read whole (one synchronous read), large ones streamed later. */
export function openSource(src: { path: string; offset: number; length?: number }): OpenSource {
  const fd = openSync(src.path, 'r');
  try {
    const size = src.length ?? fstatSync(fd).size - src.offset;
    if (size < 0) throw new DimseError(`${src.path}: dataset offset past the end of the file`);
    if (size > SMALL_FILE) return { path: src.path, offset: src.offset, size };
    const pooled = takeBuffer();
    const n = size ? readSync(fd, pooled, 0, size, src.offset) : 0;
    if (n !== size) {
      giveBack(pooled);
      throw new DimseError(`${src.path}: file shrank while being sent`);
    }
    return { path: src.path, offset: src.offset, size, data: pooled.subarray(0, size), pooled };
  } finally {
    closeSync(fd);
  }
}

/** The last P-DATA-TF PDU of an empty dataset: one PDV with no data. */
function emptyLastPdu(contextId: number): Buffer {
  const buf = Buffer.allocUnsafe(PDATA_HEADER_SIZE);
  pDataHeader(buf, contextId, false, true, 0);
  return buf;
}

/** A frame memory's P-DATA-TF layout: where the data of each PDU goes, and the headers written around it. */
interface FrameLayout {
  offset: number;
  length: number;
  max: number;
  headers: { contextId: number; isEnd: boolean } | null;
  slots: Buffer[];
}

/** Frames one association's outgoing messages and writes them to its transport. */
export class Framer {
  /** The peer's maximum P-DATA-TF length (0 = unlimited), known once the association is negotiated. */
  peerMaxPdu = 0;
  private readonly transport: Transport;
  /** Frame buffers the socket is done with, reused so their pages stay mapped (fresh megabytes page-fault). */
  private readonly freeFrames: Buffer[] = [];
  /** How each frame memory was last laid out (`frameFor`): its data slots, and what its PDU headers say. */
  private readonly frameLayouts = new WeakMap<ArrayBufferLike, FrameLayout>();

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /**
   * Data bytes per PDV: the peer's max PDU bounds the P-DATA-TF variable field, 6 bytes of PDV
   * header per PDV; and we never go past MAX_PDU_SENT, whatever the peer says it takes.
   */
  get maxPdvData(): number {
    const limit = this.peerMaxPdu > 0 ? Math.min(this.peerMaxPdu, MAX_PDU_SENT) : MAX_PDU_SENT;
    return Math.max(limit - 6, 64);
  }

  /** A command's P-DATA-TF PDUs (one unless the command exceeds the peer's max PDU). */
  commandPdus(cmd: Command, contextId: number): Buffer[] {
    const max = this.maxPdvData;
    const commandBytes = encodeCommand(cmd);
    const pdus: Buffer[] = [];
    for (let at = 0; at < commandBytes.length; at += max) {
      const n = Math.min(max, commandBytes.length - at);
      const buf = Buffer.allocUnsafe(PDATA_HEADER_SIZE + n);
      pDataHeader(buf, contextId, true, at + n >= commandBytes.length, n);
      commandBytes.copy(buf, PDATA_HEADER_SIZE, at, at + n);
      pdus.push(buf);
    }
    return pdus;
  }

  /** Cuts a preloaded dataset into P-DATA-TF PDUs for `contextId` now, giving its read buffer back. */
  frame(pre: PreloadedDataset, contextId: number, owner: Association): FramedDataset {
    const frames = [...this.framesOf(pre.data, contextId, this.maxPdvData, true)];
    giveBack(pre.pooled);
    return { framedFor: owner, contextId, frames };
  }

  /** See `Association.frameFile`. */
  frameFile(path: string, offset: number, length: number, contextId: number, owner: Association, accept?: (st: Stats) => boolean): FramedDataset | null {
    if (length <= 0 || length > SMALL_FILE) return null;
    const max = this.maxPdvData;
    const perFrame = this.dataPerFrame(max);
    const frames: Buffer[] = [];
    let fd = -1;
    try {
      fd = openSync(path, 'r');
      if (accept && !accept(fstatSync(fd))) return null;
      for (let done = 0; done < length; ) {
        const want = Math.min(perFrame, length - done);
        const { frame, slots } = this.frameFor(want, contextId, max, done + want >= length);
        if (readvSync(fd, slots, offset + done) !== want) return null;
        done += want;
        frames.push(frame);
      }
    } catch {
      return null;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    return { framedFor: owner, contextId, frames };
  }

  /**
   * Writes command PDUs and a framed dataset in one corked batch, synchronously. A framed dataset is
   * at most SMALL_FILE bytes, so it is queued whole without waiting for drain: the kernel takes what
   * it can send plus its unsent limit, and libuv writes the rest as the kernel asks for it.
   */
  writeFramedNow(pdus: Buffer[], dataset: FramedDataset, contextId: number): void {
    const socket = this.transport.socket;
    socket.cork();
    try {
      for (const b of pdus) socket.write(b);
      if (!dataset.frames.length) socket.write(emptyLastPdu(contextId));
      for (const frame of dataset.frames) socket.write(frame, this.recycler(frame));
    } finally {
      socket.uncork();
    }
  }

  /** Writes `data` as P-DATA-TF PDUs; `flushed` runs once the socket no longer needs `data`. */
  async writeDataBuffer(data: Buffer, contextId: number, isEnd: boolean, flushed?: () => void): Promise<void> {
    if (data.length === 0 && isEnd) {
      await this.transport.write(emptyLastPdu(contextId));
      return;
    }
    for (const frame of this.framesOf(data, contextId, this.maxPdvData, isEnd)) await this.writeFrame(frame);
    // The data was copied: whoever lent it can have it back now.
    flushed?.();
  }

  /** Writes an opened file source: its bytes read whole (given back once copied) or streamed. */
  writeSource(src: OpenSource, contextId: number): Promise<void> {
    if (src.data) return this.writeDataBuffer(src.data, contextId, true, src.pooled ? () => giveBack(src.pooled!) : undefined);
    return this.writeFileRange(src, contextId);
  }

  private async writeFileRange(src: OpenSource, contextId: number): Promise<void> {
    const max = this.maxPdvData;
    const fh = await openAsync(src.path, 'r');
    try {
      // The file is read straight into the frames' data slots (readv): no copy, one read per megabyte.
      const perFrame = this.dataPerFrame(max);
      for (let done = 0; done < src.size; ) {
        const want = Math.min(perFrame, src.size - done);
        const { frame, slots } = this.frameFor(want, contextId, max, done + want >= src.size);
        const { bytesRead } = await fh.readv(slots, src.offset + done);
        if (bytesRead !== want) throw new DimseError(`${src.path}: file shrank while being sent`);
        done += want;
        await this.writeFrame(frame);
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * `data` copied into P-DATA-TF PDUs, one pooled frame of about a megabyte at a time: two socket
   * writes per PDU (a 16 KiB max PDU means 40,000 writes for a 316 MB series) cost more than a copy.
   */
  private *framesOf(data: Buffer, contextId: number, max: number, isEnd: boolean): Generator<Buffer> {
    const perFrame = this.dataPerFrame(max);
    for (let start = 0; start < data.length; start += perFrame) {
      const end = Math.min(data.length, start + perFrame);
      const { frame, slots } = this.frameFor(end - start, contextId, max, isEnd && end >= data.length);
      let at = start;
      for (const slot of slots) at += data.copy(slot, 0, at, at + slot.length);
      yield frame;
    }
  }

  private dataPerFrame(max: number): number {
    return Math.max(1, Math.floor(FRAME_BYTES / max)) * max;
  }

  /**
   * A frame for `length` data bytes as P-DATA-TF PDUs with headers written, and its data slots.
   * A pooled frame laid out alike last time (a series' slices all are) keeps its slots, and its
   * headers when they say the same: its 33 PDUs of a CT slice meant 66 new buffer objects a store
   * (garbage, and scavenges) and 33 headers written by code V8 has not optimized yet.
   */
  private frameFor(length: number, contextId: number, max: number, isEnd: boolean): { frame: Buffer; slots: Buffer[] } {
    const pdus = Math.ceil(length / max);
    const size = length + pdus * PDATA_HEADER_SIZE;
    const capacity = this.dataPerFrame(max) + Math.ceil(this.dataPerFrame(max) / max) * PDATA_HEADER_SIZE;
    const base = this.freeFrames.pop() ?? Buffer.allocUnsafe(Math.max(capacity, size));
    const frame = base.length >= size ? base.subarray(0, size) : Buffer.allocUnsafe(size);
    const known = this.frameLayouts.get(frame.buffer);
    const newSlots = !known || known.offset !== frame.byteOffset || known.length !== length || known.max !== max;
    const layout: FrameLayout = newSlots ? { offset: frame.byteOffset, length, max, headers: null, slots: [] } : known;
    if (newSlots) this.frameLayouts.set(frame.buffer, layout);
    // (A new layout has no headers yet, so new slots always come with new headers.)
    const newHeaders = layout.headers?.contextId !== contextId || layout.headers.isEnd !== isEnd;
    if (newHeaders) {
      for (let at = 0, o = 0; at < length; at += max) {
        const n = Math.min(max, length - at);
        pDataHeader(frame, contextId, false, isEnd && at + n >= length, n, o);
        if (newSlots) layout.slots.push(frame.subarray(o + PDATA_HEADER_SIZE, o + PDATA_HEADER_SIZE + n));
        o += PDATA_HEADER_SIZE + n;
      }
      layout.headers = { contextId, isEnd };
    }
    return { frame, slots: layout.slots };
  }

  /** Writes a frame; its buffer goes back to the pool once the socket is done with it. */
  private writeFrame(frame: Buffer): Promise<void> {
    return this.transport.writeCorked(frame, this.recycler(frame));
  }

  /** The write callback that gives a frame's buffer back to the pool once the socket is done with it. */
  private recycler(frame: Buffer): () => void {
    const base = Buffer.from(frame.buffer, frame.byteOffset, frame.buffer.byteLength - frame.byteOffset);
    return () => {
      if (this.freeFrames.length < FREE_FRAMES) this.freeFrames.push(base);
    };
  }
}
