/**
 * A small argument parser for the `courier` command: positionals, `--flag`, `--key value`,
 * and repeated keys collected into lists.
 */

/** Parsed arguments. */
export interface Args {
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string[]>;
}

/** Parses argv; `valued` names the options that take a value. */
export function parseArgs(argv: string[], valued: readonly string[]): Args {
  const args: Args = { positionals: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      args.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (valued.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      const list = args.values.get(name) ?? [];
      // Options that take several values accept them until the next option (--fail A B C).
      list.push(value);
      while (eq < 0 && i + 1 < argv.length && !argv[i + 1].startsWith('--') && MULTI.has(name)) list.push(argv[++i]);
      args.values.set(name, list);
    } else {
      args.flags.add(name);
    }
  }
  return args;
}

const MULTI = new Set(['fail']);

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The last value given for an option, or undefined. */
export function value(args: Args, name: string): string | undefined {
  return args.values.get(name)?.at(-1);
}

/** An integer option within bounds, or the fallback when absent. */
export function intOption(args: Args, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = value(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}
