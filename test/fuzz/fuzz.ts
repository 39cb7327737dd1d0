/**
 * The fuzzing harness: fast-check generates inputs for a target (targets.ts), mostly its seeds
 * mutated, some plain random bytes, and checks each case: the target either succeeds or throws an
 * error it promises for bad input, within a second. A failing input is shrunk and kept as a
 * regression file (test/fuzz/regressions/<target>/), which every `npm test` replays.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from './targets.ts';

/** Where found inputs are kept, one folder per target. */
export const REGRESSIONS = join(import.meta.dirname, 'regressions');

/** A case takes at most this long; longer is a hang. */
const HANG_MS = 1000;
/** Mutated inputs stay below this size (a mutation may repeat a slice of its seed). */
const MAX_INPUT = 64 * 1024;

type Mutation =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'u16' | 'u32'; at: number; value: number; bigEndian: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'repeat'; at: number; n: number; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  // Length fields and delimiters made extreme: DICOM and the upper layer are full of both.
  fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7fff, 0xfffe, 0xffff, 0xe000, 0xe00d, 0xe0dd), bigEndian: fc.boolean() }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 0xff, 0xffff, 0x100000, 0x7fffffff, 0xfffffff0, 0xffffffff), bigEndian: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // A slice repeated (nested sequences, a PDU sent many times).
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 2, max: 300 }) }),
);

/** `seed` with the mutations applied in turn. */
export function mutate(seed: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b = Buffer.from(seed);
  for (const m of mutations) {
    const at = b.length ? m.at % b.length : 0;
    switch (m.kind) {
      case 'set':
        if (b.length) b[at] = m.byte;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
        break;
      case 'u16':
        if (at + 2 <= b.length && m.bigEndian) b.writeUInt16BE(m.value, at);
        else if (at + 2 <= b.length) b.writeUInt16LE(m.value, at);
        break;
      case 'u32':
        if (at + 4 <= b.length && m.bigEndian) b.writeUInt32BE(m.value, at);
        else if (at + 4 <= b.length) b.writeUInt32LE(m.value, at);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'repeat': {
        const slice = b.subarray(at, at + m.n);
        const times = Math.min(m.times, Math.floor((MAX_INPUT - b.length) / Math.max(1, slice.length)));
        if (times > 0) b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: times }, () => slice), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

/** One case: the input, and where TCP cuts it (fractions of its length). */
export interface FuzzCase {
  input: Uint8Array;
  chunks: number[];
}

/** The inputs fast-check draws for `target`: its seeds mutated (9 in 10), or random bytes. */
export function cases(target: Target): fc.Arbitrary<FuzzCase> {
  const mutated = fc.tuple(fc.nat({ max: target.seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([i, ms]) => mutate(target.seeds[i], ms));
  const input = fc.oneof({ weight: 9, arbitrary: mutated }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) });
  return fc.record({ input, chunks: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }) });
}

/** Runs one case: a failure is an unexpected error, or a case that took longer than HANG_MS. */
export async function runCase(target: Target, c: FuzzCase): Promise<void> {
  const started = performance.now();
  try {
    await target.run(c.input, c.chunks);
  } catch (err) {
    if (!target.expected(err)) throw err;
  }
  const ms = performance.now() - started;
  if (ms > HANG_MS) throw new Error(`${target.name}: one case took ${ms.toFixed(0)} ms (a hang: more than ${HANG_MS} ms)`);
}

/** What a fuzzing run found: nothing, or the shrunk failing input, its error, and where it was kept. */
export interface FuzzResult {
  runs: number;
  seed: number;
  failure?: { input: Uint8Array; error: unknown; file: string };
}

/** Fuzzes `target` for `runs` cases from `seed`; a failing input is kept under REGRESSIONS. */
export async function fuzz(target: Target, runs: number, seed: number): Promise<FuzzResult> {
  const out = await fc.check(
    fc.asyncProperty(cases(target), (c) => runCase(target, c)),
    { numRuns: runs, seed, endOnFailure: false },
  );
  if (!out.failed || !out.counterexample) return { runs: out.numRuns, seed };
  const [c] = out.counterexample;
  return { runs: out.numRuns, seed, failure: { input: c.input, error: out.errorInstance, file: keep(target.name, c.input) } };
}

/** Keeps a failing input as test/fuzz/regressions/<target>/<sha256 prefix>.bin; returns the path. */
export function keep(targetName: string, input: Uint8Array): string {
  const dir = join(REGRESSIONS, targetName);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`);
  writeFileSync(file, input);
  return file;
}

/** The regression inputs kept for a target. */
export function regressions(targetName: string): { file: string; input: Uint8Array }[] {
  const dir = join(REGRESSIONS, targetName);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ file: join(dir, f), input: readFileSync(join(dir, f)) }));
}

/** The ways a regression input is replayed: whole, and cut every few bytes (as TCP might deliver it). */
export const REPLAY_CUTS: number[][] = [[], Array.from({ length: 32 }, (_, i) => (i + 1) / 33)];
