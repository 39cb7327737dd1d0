/**
 * A real Orthanc for the commit tests: temporary config and storage, free DICOM and HTTP ports,
 * our AE declared in DicomModalities with AllowStorageCommitment (else Orthanc never answers the
 * N-ACTION), TCP_NODELAY=1 (else it stalls per PDU), started and stopped by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ORTHANC } from '../../helpers.ts';

/** A running Orthanc. */
export interface Orthanc {
  aeTitle: string;
  dicomPort: number;
  httpPort: number;
  /** GET a REST path, parsed as JSON. */
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
  log(): string;
}

/** Starts Orthanc in `dir`, declaring `ours` (our AE and accepter) as a modality allowed to commit; `extra` adds to its configuration. */
export async function startOrthanc(dir: string, ours: { aeTitle: string; host: string; port: number }, extra: Record<string, unknown> = {}): Promise<Orthanc> {
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const config = {
    Name: 'CourierTest',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpServerEnabled: true,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    DicomModalities: { courier: { AET: ours.aeTitle, Host: ours.host, Port: ours.port, AllowStorageCommitment: true } },
    Plugins: [],
    ConcurrentJobs: 2,
    ...extra,
  };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'orthanc.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  let output = '';
  const child: ChildProcess = spawn(ORTHANC, [path], {
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const get = async <T>(p: string): Promise<T> => {
    const r = await fetch(`http://127.0.0.1:${httpPort}${p}`);
    if (!r.ok) throw new Error(`Orthanc ${p}: HTTP ${r.status}`);
    return (await r.json()) as T;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  // Ready when its HTTP /system answers.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited early:\n${output}`);
    try {
      await get('/system');
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Orthanc did not start within 30 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { aeTitle: 'ORTHANC', dicomPort, httpPort, get, stop, log: () => output };
}
