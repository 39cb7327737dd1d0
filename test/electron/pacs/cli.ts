/**
 * Starting `courier pacs` as a separate process for tests: waits for its JSON "listening" line.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from '../../helpers.ts';

/** A running `courier pacs`. */
export interface PacsProcess {
  port: number;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `courier pacs <args> --json` and resolves once it listens. */
export async function spawnPacs(args: string[], home: string): Promise<PacsProcess> {
  const child = spawnCli(['pacs', ...args, '--json'], home);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`courier pacs did not start:\n${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`courier pacs exited with ${code}:\n${err}`));
    });
  });
  return {
    port,
    child,
    log: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
