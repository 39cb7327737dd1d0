/**
 * Every `courier` subcommand, in the order `courier help` lists them.
 */
import type { Command } from './command.ts';
import { indexCommand } from './commands/index.ts';
import { serveCommand } from './commands/serve.ts';

/** The registered commands. */
export const commands: Command[] = [indexCommand, serveCommand];
