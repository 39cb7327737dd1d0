/**
 * TCP options Node's `net` API does not offer, set with the C library's setsockopt(2) (libc.ts).
 * Where that cannot be called, Courier works exactly as before.
 */
import type { Socket } from 'node:net';
import { libcFunction } from './libc.ts';

const IPPROTO_TCP = 6;
/** TCP_NOTSENT_LOWAT in <netinet/tcp.h>; Windows has no such option. */
const TCP_NOTSENT_LOWAT: Partial<Record<NodeJS.Platform, number>> = { linux: 25, darwin: 0x201 };

type SockoptCall = (fd: number, level: number, name: number, value: Buffer, length: number | number[]) => number;

/** setsockopt/getsockopt and the option's number on this platform, or null where either is missing. */
function notsentLowat(): { setsockopt: SockoptCall; getsockopt: SockoptCall; option: number } | null {
  const option = TCP_NOTSENT_LOWAT[process.platform];
  if (option === undefined) return null;
  const setsockopt = libcFunction('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)');
  const getsockopt = libcFunction('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)');
  return setsockopt && getsockopt ? { setsockopt, getsockopt, option } : null;
}

/** The socket's file descriptor, or -1 (closed, or a socket without one of its own, e.g. TLS). */
function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/**
 * Lets at most `bytes` wait unsent in the kernel's send queue of a connected socket
 * (TCP_NOTSENT_LOWAT); a write beyond that stays in libuv's queue until the kernel asks for more.
 *
 * Why: a store's dataset is written in one go. Without a limit the kernel takes all of it, sends
 * what the receiver's window allows, and sends the rest as the receiver's acknowledgements come
 * in. On loopback and fast LANs that is done in the receiving process's time slice (it sends the
 * window update, the stack delivers it and transmits our next segments there and then), so a busy
 * receiver such as storescp also pays for our transmission. With the limit, the rest goes out from
 * our own process when the kernel wakes it, and data already in flight is not limited at all, so a
 * long fat link keeps its throughput. Measured with the 600-slice CT to storescp: 4–5% faster.
 *
 * Returns whether the option was set (false where the option or koffi is not available).
 */
export function limitUnsentBytes(socket: Socket, bytes: number): boolean {
  const tcp = notsentLowat();
  const fd = fdOf(socket);
  if (!tcp || fd < 0) return false;
  const value = Buffer.from(new Int32Array([bytes]).buffer); // a C int, in the machine's byte order
  // 0 on success; -1 for a kernel without the option (Linux before 3.12): no harm either way.
  return tcp.setsockopt(fd, IPPROTO_TCP, tcp.option, value, 4) === 0;
}

/** The socket's TCP_NOTSENT_LOWAT, or null where it cannot be read (for tests and diagnosis). */
export function unsentLimit(socket: Socket): number | null {
  const tcp = notsentLowat();
  const fd = fdOf(socket);
  if (!tcp || fd < 0) return null;
  const value = new Int32Array(1);
  return tcp.getsockopt(fd, IPPROTO_TCP, tcp.option, Buffer.from(value.buffer), [4]) === 0 ? value[0] : null;
}
