/**
 * What a CLI command is: a name, its usage line, the options that take values, and `run`.
 */
import type { LibraryServices } from '../libraryServices.ts';
import type { ServiceOptions, Services } from '../services.ts';
import type { Args } from './args.ts';

/** Where a command writes: human lines, or one JSON object with --json. */
export interface Output {
  line(text: string): void;
  json(value: unknown): void;
}

/** What a running command gets. */
export interface CommandContext<S extends LibraryServices = Services> {
  services: S;
  out: Output;
  /** Fires on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Progress for a person, on stderr when it is a terminal. */
  progress(text: string): void;
}

interface CommandBase {
  name: string;
  usage: string;
  valued: readonly string[];
  /** Commands that need no library database (e.g. echo) say so. */
  noServices?: boolean;
}

/** A command that uses every service (networking included). */
export interface FullCommand extends CommandBase {
  needs?: 'all';
  /** What this run sets over the saved settings (our AE title, TLS, commitment timing), given to the services' constructors. */
  serviceOptions?(args: Args): ServiceOptions;
  /** Runs the command; resolves to the exit code. */
  run(args: Args, ctx: CommandContext<Services>): Promise<number>;
}

/** A command that only reads and writes files and the library: it starts without the network services. */
export interface LibraryCommand extends CommandBase {
  needs: 'library';
  run(args: Args, ctx: CommandContext<LibraryServices>): Promise<number>;
}

/** One `courier` subcommand. */
export type Command = FullCommand | LibraryCommand;
