/**
 * TCP options Node's `net` API does not offer, set by calling the C library's setsockopt(2) through
 * koffi, a foreign function interface that ships prebuilt N-API binaries for Linux, macOS and
 * Windows: no compiler, and no rebuild for Electron. (`sockopt`, made for exactly this, was tried
 * first: its 2.0.1 "linux-x64" prebuild is a macOS binary, and building it needs node-gyp's headers
 * from the internet.) koffi is an optional dependency: where it cannot load, Courier works exactly
 * as before.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Socket } from 'node:net';
import { logger } from '../log.ts';

const log = logger('dimse');

const IPPROTO_TCP = 6;
/** TCP_NOTSENT_LOWAT in <netinet/tcp.h>; Windows has no such option. */
const TCP_NOTSENT_LOWAT: Partial<Record<NodeJS.Platform, number>> = { linux: 25, darwin: 0x201 };
/** Where each platform's C library is. */
const LIBC: Partial<Record<NodeJS.Platform, string>> = { linux: 'libc.so.6', darwin: 'libSystem.B.dylib' };

type SockoptCall = (fd: number, level: number, name: number, value: Buffer, length: number | number[]) => number;
interface Libc {
  setsockopt: SockoptCall;
  getsockopt: SockoptCall;
}
interface KoffiNative {
  version: string;
  load(path: string): { func(definition: string): SockoptCall };
}

/**
 * koffi's native module for this platform, loaded straight from the package's prebuilt binaries:
 * koffi's own entry point also loads `https` and `zlib` for its downloader, which costs a CLI call
 * ~17 ms of start-up for nothing here (5 ms this way). The check against the package's version is
 * the one koffi's loader makes.
 */
function loadKoffi(): KoffiNative {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('koffi/package.json');
  const native = require(join(dirname(pkg), 'build', 'koffi', `${process.platform}_${process.arch}`, 'koffi.node')) as KoffiNative;
  const { version } = require(pkg) as { version: string };
  if (native.version !== version) throw new Error(`koffi's native module is ${native.version}, its package ${version}`);
  return native;
}

let libc: Libc | null | undefined;

/** setsockopt/getsockopt and the option's number on this platform, or null where either is missing. */
function notsentLowat(): { libc: Libc; option: number } | null {
  const option = TCP_NOTSENT_LOWAT[process.platform];
  const path = LIBC[process.platform];
  if (option === undefined || !path) return null;
  if (libc === undefined) {
    try {
      const lib = loadKoffi().load(path);
      libc = {
        setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)'),
        getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)'),
      };
    } catch (err) {
      libc = null;
      log.debug('koffi is not available; TCP_NOTSENT_LOWAT is not set', err);
    }
  }
  return libc ? { libc, option } : null;
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
  return tcp.libc.setsockopt(fd, IPPROTO_TCP, tcp.option, value, 4) === 0;
}

/** The socket's TCP_NOTSENT_LOWAT, or null where it cannot be read (for tests and diagnosis). */
export function unsentLimit(socket: Socket): number | null {
  const tcp = notsentLowat();
  const fd = fdOf(socket);
  if (!tcp || fd < 0) return null;
  const value = new Int32Array(1);
  return tcp.libc.getsockopt(fd, IPPROTO_TCP, tcp.option, Buffer.from(value.buffer), [4]) === 0 ? value[0] : null;
}
