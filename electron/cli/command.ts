/**
 * What a CLI command is: a name, its usage line, the options that take values, and `run`.
 */
import type { Services } from '../services.ts';
import type { Args } from './args.ts';

/** Where a command writes: human lines, or one JSON object with --json. */
export interface Output {
  line(text: string): void;
  json(value: unknown): void;
}

/** What a running command gets. */
export interface CommandContext {
  services: Services;
  out: Output;
  /** Fires on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Progress for a person, on stderr when it is a terminal. */
  progress(text: string): void;
}

/** One `courier` subcommand. */
export interface Command {
  name: string;
  usage: string;
  valued: readonly string[];
  /** Runs the command; resolves to the exit code. */
  run(args: Args, ctx: CommandContext): Promise<number>;
  /** Commands that need no library database (e.g. echo) say so. */
  noServices?: boolean;
}
