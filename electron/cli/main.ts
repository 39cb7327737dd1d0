/**
 * The `courier` command: the same services the app uses, without Electron.
 * Every command exits non-zero on failure and, with --json, prints one JSON object on stdout.
 */
import { courierHome, createLibraryServices, type LibraryServices } from '../libraryServices.ts';
import { parseArgs, UsageError } from './args.ts';
import type { Output } from './command.ts';
import { commands } from './commands.ts';
import { toErrorShape } from '../../shared/errors.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    await printUsage(name && name !== '--help' && name !== 'help' ? `unknown command "${name}"` : undefined);
    return name && name !== '--help' && name !== 'help' ? 2 : 0;
  }
  const command = await entry.load();
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    // Every command: its usage on stdout, nothing started.
    process.stdout.write(`usage: courier ${command.usage}\n`);
    return 0;
  }
  const json = rest.includes('--json');
  const out: Output = {
    line: (text) => process.stdout.write(text + '\n'),
    json: (value) => process.stdout.write(JSON.stringify(value) + '\n'),
  };
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const tty = process.stderr.isTTY && !json;
  const progress = (text: string) => {
    if (tty) process.stderr.write(`\r${text}\x1b[K`);
  };
  let services: LibraryServices | undefined;
  try {
    const args = parseArgs(rest, command.valued);
    const ctx = { out, signal: controller.signal, progress };
    let code: number;
    if (command.needs === 'library') {
      // Library commands start without the networking services (and their modules).
      services = command.noServices ? undefined : createLibraryServices(courierHome());
      code = await command.run(args, { ...ctx, services: services! });
    } else {
      const full = command.noServices ? undefined : (await import('../services.ts')).createServices(courierHome(), command.serviceOptions?.(args));
      services = full;
      code = await command.run(args, { ...ctx, services: full! });
    }
    if (tty) process.stderr.write('\r\x1b[K');
    return code;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    if (err instanceof UsageError) {
      process.stderr.write(`courier ${command.name}: ${err.message}\nusage: courier ${command.usage}\n`);
      return 2;
    }
    const shape = toErrorShape(err);
    if (json) out.json({ error: shape });
    process.stderr.write(`courier ${command.name}: ${shape.message}\n`);
    if (shape.code === 'INTERNAL' && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  } finally {
    await services?.close();
  }
}

async function printUsage(problem?: string) {
  const lines = (await Promise.all(commands.map((c) => c.load()))).map((c) => `  courier ${c.usage}`);
  process.stderr.write(`${problem ? `courier: ${problem}\n` : ''}usage:\n${lines.join('\n')}\n`);
}

process.exitCode = await main(process.argv.slice(2));
