/**
 * The export channels as the UI uses them: a job over a library selection, with progress events,
 * a result, cancel, and a non-empty target refused before any job starts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ExportResult, JobFinished } from '../../../shared/contract/index.ts';
import { exportHandlers } from '../../../electron/api/export.ts';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices, type Services } from '../../../electron/services.ts';
import { generateSmallCorpus } from '../../fixtures/generate.ts';
import { hasCommand, tempDir } from '../../helpers.ts';

describe('export channels', () => {
  const tmp = tempDir('courier-export-api-');
  let services: Services;
  let handlers: ReturnType<typeof exportHandlers>;
  let patientIds: number[];

  before(async () => {
    const home = join(tmp.path, 'home');
    mkdirSync(home);
    services = createServices(home);
    handlers = exportHandlers(services, { version: '0.0.0-test' });
    const corpus = join(tmp.path, 'corpus');
    generateSmallCorpus(corpus, 120);
    await indexPath(services.db, services.library, corpus);
    patientIds = services.library.patients().map((p) => p.id);
  });
  after(async () => {
    await services.close();
    tmp.cleanup();
  });

  const finished = (jobId: string) =>
    new Promise<JobFinished>((resolve) => {
      const off = services.events.on('job.finished', (f) => {
        if (f.jobId === jobId) {
          off();
          resolve(f);
        }
      });
    });

  test('export.start runs a job that reports progress and the result', async () => {
    const out = join(tmp.path, 'media');
    const progress: number[] = [];
    const off = services.events.on('job.progress', (p) => {
      if (p.kind === 'export') progress.push(p.done);
    });
    const { jobId } = await handlers['export.start']({ patientIds, out, profile: 'STD-GEN-CD', fileSetId: 'TEST_1' });
    const f = await finished(jobId);
    off();
    assert.equal(f.status, 'done', f.error?.message);
    const r = f.result as ExportResult;
    assert.equal(r.instances, 120);
    assert.equal(r.transcoded, 0);
    assert.equal(r.fileSetId, 'TEST_1');
    assert.deepEqual(r.errors, []);
    assert.ok(progress.length > 0);
    assert.ok(existsSync(join(out, 'DICOMDIR')));
  });

  test('a non-empty target is refused with CONFLICT before a job starts', async () => {
    const out = join(tmp.path, 'taken');
    mkdirSync(out);
    writeFileSync(join(out, 'x'), 'x');
    await assert.rejects(async () => handlers['export.start']({ patientIds, out }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CONFLICT');
      return true;
    });
    assert.deepEqual(readdirSync(out), ['x']);
  });

  test('cancel stops the job and leaves nothing behind', async () => {
    const out = join(tmp.path, 'cancelled');
    const { jobId } = await handlers['export.start']({ patientIds, out });
    assert.equal(services.jobs.cancel(jobId), true);
    const f = await finished(jobId);
    assert.equal(f.status, 'cancelled');
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(tmp.path).filter((n) => n.includes('courier-')), []);
  });

  test('profiles and ISO support are listed', async () => {
    const profiles = await handlers['export.profiles'](undefined);
    assert.ok(profiles.some((p) => p.id === 'STD-GEN-CD'));
    assert.ok(profiles.some((p) => p.id === 'STD-GEN-USB-J2K'));
    const iso = await handlers['export.isoSupport'](undefined);
    assert.equal(iso.available, hasCommand('xorriso') || hasCommand('genisoimage') || hasCommand('mkisofs'));
    assert.ok(iso.hint.length > 0);
  });
});
