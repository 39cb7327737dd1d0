/**
 * The C library's functions that Node does not expose (setsockopt options, thread scheduling),
 * called through koffi, a foreign function interface that ships prebuilt N-API binaries for Linux,
 * macOS and Windows: no compiler, and no rebuild for Electron. (`sockopt`, made for socket options
 * alone, was tried first: its 2.0.1 "linux-x64" prebuild is a macOS binary, and building it needs
 * node-gyp's headers from the internet.) koffi is an optional dependency: where it cannot load,
 * each caller here goes on as if the function did not exist.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { logger } from '../log.ts';

const log = logger('main');

/** Where each platform's C library is. */
const LIBC: Partial<Record<NodeJS.Platform, string>> = { linux: 'libc.so.6', darwin: 'libSystem.B.dylib' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- koffi's calls take what the C prototype says
type NativeFunction = (...args: any[]) => number;
interface KoffiNative {
  version: string;
  load(path: string): { func(definition: string): NativeFunction };
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

let library: ReturnType<KoffiNative['load']> | null | undefined;
const bound = new Map<string, NativeFunction | null>();

/**
 * The C library's function with this prototype (e.g. `int getpid()`), bound once; null where
 * koffi or the C library cannot be loaded, or the library has no such function.
 */
export function libcFunction(prototype: string): NativeFunction | null {
  if (bound.has(prototype)) return bound.get(prototype)!;
  if (library === undefined) {
    const path = LIBC[process.platform];
    try {
      library = path ? loadKoffi().load(path) : null;
    } catch (err) {
      library = null;
      log.debug('koffi is not available; the C library is not called', err);
    }
  }
  let fn: NativeFunction | null = null;
  try {
    fn = library ? library.func(prototype) : null;
  } catch (err) {
    log.debug(`the C library has no ${prototype}`, err);
  }
  bound.set(prototype, fn);
  return fn;
}
