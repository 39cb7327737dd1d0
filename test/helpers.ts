/**
 * Shared test helpers: temporary folders, a fresh library home, free ports, running the CLI,
 * and where Debian's packages put the peers and fixtures the tests use.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** pydicom's test files as Debian's python3-pydicom installs them. */
export const PYDICOM_DATA = '/usr/lib/python3/dist-packages/pydicom/data';
export const PYDICOM_TEST_FILES = join(PYDICOM_DATA, 'test_files');
export const PYDICOM_CHARSET_FILES = join(PYDICOM_DATA, 'charset_files');
/** Debian's python3 (with pydicom and numpy), not whatever python3 is first on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
/** Debian's Chromium, which the UI tests drive. */
export const CHROMIUM = '/usr/bin/chromium';
/** The Orthanc command: Debian's (in /usr/sbin, often not on PATH), else whatever PATH finds. */
export const ORTHANC = existsSync('/usr/sbin/Orthanc') ? '/usr/sbin/Orthanc' : 'Orthanc';
/** The repository root (tests run from it). */
export const ROOT = process.cwd();

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'courier-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Ports freePort() handed out in this process: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>();

/** A TCP port that was free a moment ago on 127.0.0.1, and not handed out before in this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    // Two calls in a row (Orthanc's DICOM and HTTP ports) once got the same port.
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** The command line of the real CLI as `npm run courier` runs it: bin/courier.mjs, the bundle in dist/cli. */
export const COURIER = [join(ROOT, 'bin', 'courier.mjs')];

/** Runs `courier <args>` (the real CLI, as `npm run courier` does) with COURIER_HOME set. */
export function runCli(args: string[], home: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...COURIER, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COURIER_HOME: home, ...opts.env },
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Starts `courier <args>` in the background; the caller must kill it. */
export function spawnCli(args: string[], home: string, env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [...COURIER, ...args], {
    env: { ...process.env, COURIER_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a Python snippet or script with Debian's python3 and parses its JSON output. */
export function python<T = unknown>(args: string[]): T {
  return JSON.parse(execFileSync(SYSTEM_PYTHON, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] })) as T;
}

/** True when a command exists on PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** A folder `send-me` under `root` holding copies of these pydicom test files; returns its path. */
export function fixtureFolder(root: string, names: string[]): string {
  const dir = join(root, 'send-me');
  mkdirSync(dir, { recursive: true });
  for (const n of names) copyFileSync(join(PYDICOM_TEST_FILES, n), join(dir, n));
  return dir;
}

/** The dataset bytes of a Part 10 file: after the preamble, "DICM" and group 0002 (PS3.10 §7.1). */
export function datasetOf(bytes: Buffer): Buffer {
  let p = 132;
  while (bytes.readUInt16LE(p) === 0x0002) {
    const vr = bytes.toString('latin1', p + 4, p + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const len = long ? bytes.readUInt32LE(p + 8) : bytes.readUInt16LE(p + 6);
    p += (long ? 12 : 8) + len;
  }
  return bytes.subarray(p);
}
