/**
 * `npm run fuzz [-- <target>...] [--runs N] [--seed S]`: longer fuzzing than `npm test` does, for
 * local runs: 200,000 cases per target by default, from a random seed. Every failing input is
 * shrunk and kept under test/fuzz/regressions/<target>/ (commit it with the fix: `npm test`
 * replays it from then on); the run goes on with the other targets and exits 1 if any failed.
 */
import { TARGETS } from './targets.ts';
import { fuzz } from './fuzz.ts';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const runs = Number(option('runs') ?? 200_000);
const seed = Number(option('seed') ?? Math.floor(Math.random() * 2 ** 31));
const unknown = args.filter((a) => !TARGETS.some((t) => t.name === a));
if (unknown.length || !Number.isInteger(runs) || runs < 1) {
  console.error(`usage: npm run fuzz -- [${TARGETS.map((t) => t.name).join('|')}...] [--runs N] [--seed S]`);
  process.exit(2);
}
let failed = 0;
for (const target of TARGETS.filter((t) => !args.length || args.includes(t.name))) {
  const started = performance.now();
  const result = await fuzz(target, runs, seed);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (!result.failure) {
    console.log(`${target.name}: ${result.runs} cases in ${seconds} s, seed ${seed}: nothing found`);
    continue;
  }
  failed++;
  const e = result.failure.error;
  console.log(`${target.name}: FAILED after ${result.runs} cases (seed ${seed}): ${e instanceof Error ? e.stack : String(e)}`);
  console.log(`  the input is kept in ${result.failure.file}`);
}
process.exit(failed ? 1 : 0);
