/**
 * The test runner (scripts/runTests.ts) ends with one line naming what was skipped for a missing
 * peer and the apt command that installs it; under CI=true such a skip fails the run. Run on a tiny
 * test file (test/fixtures/runTests/peerSkips.ts) with peers made missing by COURIER_TEST_WITHOUT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { missingPeers } from '../peers.ts';

const FIXTURE = 'test/fixtures/runTests/peerSkips.ts';

/** Runs the runner on the fixture with this environment; its exit status and last line of output. */
function run(env: NodeJS.ProcessEnv): Promise<{ status: number | null; last: string; out: string }> {
  // Without NODE_TEST_CONTEXT, which would make the inner runner report to this one instead of its reporters.
  const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
  const child = spawn(process.execPath, ['scripts/runTests.ts', FIXTURE], { env: { ...outer, CI: '', COURIER_TEST_WITHOUT: '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((done) => child.on('close', (status) => done({ status, last: out.trimEnd().split('\n').pop()!, out })));
}

test('a skip for a missing peer is named with its apt command, and fails the run only under CI=true', async () => {
  const [local, ci] = await Promise.all([run({ COURIER_TEST_WITHOUT: 'storescp,Orthanc' }), run({ COURIER_TEST_WITHOUT: 'storescp,Orthanc', CI: 'true' })]);
  const line = '2 tests skipped: missing dcmtk, orthanc — sudo apt-get install dcmtk orthanc; 1 skipped for another reason (not on this platform)';
  assert.equal(local.last, line, local.out);
  assert.equal(local.status, 0, local.out);
  assert.equal(ci.last, `${line} (CI=true: a missing peer fails the run)`, ci.out);
  assert.equal(ci.status, 1, ci.out);
  // The people-facing output is still there, each skip with its reason.
  assert.match(local.out, /# SKIP missing peer: dcmtk \(storescp\)/);
  assert.match(local.out, /# SKIP missing peer: orthanc \(Orthanc\)/);
});

test('with every peer here, CI=true passes and says no test skipped for a missing peer', { skip: missingPeers('storescp', 'Orthanc', 'openssl') }, async () => {
  const ci = await run({ CI: 'true' });
  assert.equal(ci.last, 'No test skipped for a missing peer; 1 skipped for another reason (not on this platform)', ci.out);
  assert.equal(ci.status, 0, ci.out);
});
