/**
 * Every `courier` subcommand, in the order `courier help` lists them. Each is loaded only when
 * it runs, so `courier index` does not pay for the modules of `serve` or `dicomdir`.
 */
import type { Command } from './command.ts';

/** A registered command: its name and how to load it. */
export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

/** The registered commands. */
export const commands: CommandEntry[] = [
  { name: 'index', load: async () => (await import('./commands/index.ts')).indexCommand },
  { name: 'dicomdir', load: async () => (await import('./commands/dicomdir.ts')).dicomdirCommand },
  { name: 'serve', load: async () => (await import('./commands/serve.ts')).serveCommand },
  { name: 'echo', load: async () => (await import('./commands/echo.ts')).echoCommand },
  { name: 'send', load: async () => (await import('./commands/send.ts')).sendCommand },
  { name: 'commit', load: async () => (await import('./commands/commit.ts')).commitCommand },
  { name: 'pacs', load: async () => (await import('./commands/pacs.ts')).pacsCommand },
];
