/**
 * Real peers for network tests: DCMTK storescp (bit-preserving) and Orthanc, each on a free port
 * under a temp folder, stopped by the returned `stop`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { freePort, ORTHANC } from '../../helpers.ts';

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export function waitForListening(port: number, proc: ChildProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tryIt = () => {
      if (proc.exitCode !== null) return reject(new Error(`peer exited with ${proc.exitCode}`));
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => (Date.now() > deadline ? reject(new Error('peer did not start listening')) : setTimeout(tryIt, 50)));
    };
    tryIt();
  });
}

/** A running peer. */
export interface Peer {
  port: number;
  aeTitle: string;
  /** Where it stores what it receives. */
  dir: string;
  stop(): Promise<void>;
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 3000).unref();
  });
}

/** DCMTK storescp +B +xa (writes exactly the bytes received), TCP_NODELAY=1. */
export async function startStorescp(root: string, aeTitle = 'STORESCP', extra: string[] = []): Promise<Peer> {
  const port = await freePort();
  const dir = join(root, `storescp-${port}`);
  mkdirSync(dir, { recursive: true });
  const proc = spawn('storescp', ['--aetitle', aeTitle, '+B', '+xa', '-od', dir, ...extra, String(port)], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
  await waitForListening(port, proc);
  return { port, aeTitle, dir, stop: () => stopProc(proc) };
}

/** Orthanc with a temp config; `modalities` lets it know our AEs. */
export async function startOrthanc(root: string, aeTitle = 'ORTHANC', modalities: Record<string, [string, string, number]> = {}): Promise<Peer & { httpPort: number }> {
  const port = await freePort();
  const httpPort = await freePort();
  const dir = join(root, `orthanc-${port}`);
  mkdirSync(join(dir, 'db'), { recursive: true });
  const config = {
    Name: 'courier-test',
    DicomAet: aeTitle,
    DicomPort: port,
    HttpPort: httpPort,
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    DicomModalities: Object.fromEntries(Object.entries(modalities).map(([k, v]) => [k, { AET: v[0], Host: v[1], Port: v[2], AllowStorageCommitment: true }])),
    StableAge: 1,
    Plugins: [],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const proc = spawn(ORTHANC, [join(dir, 'config.json')], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
  await waitForListening(port, proc, 60_000);
  return { port, httpPort, aeTitle, dir, stop: () => stopProc(proc) };
}
