/**
 * Fuzzing in `npm test`: for each target (targets.ts) the kept regression inputs are
 * replayed, then 10,000 new cases run. A failure names its seed (FUZZ_SEED=<seed> reproduces it)
 * and keeps the shrunk input under test/fuzz/regressions/<target>/ to be committed with the fix.
 * `npm run fuzz` runs longer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from './targets.ts';
import { REPLAY_CUTS, fuzz, regressions, runCase } from './fuzz.ts';

const RUNS = 10_000;
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

for (const target of TARGETS) {
  test(`Fuzz_${target.name}: kept regressions replayed, then ${RUNS} cases (seed ${seed}): no crash, hang or unexpected error`, async () => {
    for (const r of regressions(target.name)) {
      for (const chunks of REPLAY_CUTS) await runCase(target, { input: r.input, chunks }).catch((err) => assert.fail(`${r.file}: ${err instanceof Error ? err.stack : String(err)}`));
    }
    const started = performance.now();
    const result = await fuzz(target, RUNS, seed);
    const seconds = (performance.now() - started) / 1000;
    if (result.failure) {
      const e = result.failure.error;
      assert.fail(`${target.name}, seed ${seed}: ${e instanceof Error ? e.stack : String(e)}\nthe input is kept in ${result.failure.file}`);
    }
    assert.equal(result.runs, RUNS);
    console.log(`${target.name}: ${RUNS} cases in ${seconds.toFixed(1)} s`);
  });
}
