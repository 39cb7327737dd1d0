// Indexing: agreement with pydicom, incremental re-index, DICOMDIRs, duplicates, errors, cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices, type Services } from '../../../electron/services.ts';
import { generateSmallCorpus } from '../../fixtures/generate.ts';
import { PYDICOM_TEST_FILES, python, tempDir } from '../../helpers.ts';

interface Inventory {
  instances: Record<string, { study: string; series: string; paths: string[] }>;
  studies: string[];
  series: string[];
  unreadable: Record<string, string>;
}

function withServices(fn: (s: Services, dir: string) => Promise<void>) {
  return async () => {
    const home = tempDir();
    const services = createServices(home.path);
    try {
      await fn(services, home.path);
    } finally {
      await services.close();
      home.cleanup();
    }
  };
}

const uids = (s: Services, table: 'instances' | 'studies' | 'series', column: string) =>
  (s.db.prepare(`SELECT ${column} AS uid FROM ${table} ORDER BY 1`).all() as { uid: string }[]).map((r) => r.uid);

test(
  "pydicom's test files: every instance, study and series pydicom reads is indexed; bad files are listed",
  withServices(async (s) => {
    const ref = python<Inventory>(['test/tools/pydicom_inventory.py', PYDICOM_TEST_FILES]);
    const summary = await indexPath(s.db, s.library, PYDICOM_TEST_FILES);
    assert.deepEqual(uids(s, 'instances', 'SOPInstanceUID'), Object.keys(ref.instances).sort());
    assert.deepEqual(uids(s, 'studies', 'StudyInstanceUID'), ref.studies);
    assert.deepEqual(uids(s, 'series', 'SeriesInstanceUID'), ref.series);
    assert.equal(summary.instances, Object.keys(ref.instances).length);
    assert.equal(summary.studies, ref.studies.length);
    assert.equal(summary.series, ref.series.length);
    // Every file pydicom reads as an instance is in the library under that instance.
    const files = new Map((s.db.prepare('SELECT f.path, i.SOPInstanceUID FROM files f JOIN instances i ON i.id = f.instance_id').all() as {
      path: string; SOPInstanceUID: string;
    }[]).map((r) => [r.path, r.SOPInstanceUID]));
    const errored = new Set(summary.errors.map((e) => e.path));
    for (const [sop, inst] of Object.entries(ref.instances)) {
      for (const p of inst.paths) assert.ok(files.get(p) === sop || errored.has(p), `${p} is neither indexed as ${sop} nor listed as an error`);
    }
    // Non-DICOM files are skipped quietly; broken DICOM files are listed with a reason.
    assert.ok(!summary.errors.some((e) => /README|\.json$|\.dump$|\.gz$/.test(e.path)), JSON.stringify(summary.errors));
    assert.ok(summary.errors.some((e) => e.path.endsWith('rtplan_truncated.dcm') && /truncated/.test(e.message)));
    for (const e of summary.errors) assert.ok(e.message.length > 20 && !/undefined|\[object/.test(e.message), e.message);
  }),
);

test(
  'indexing the same unchanged folder again reads nothing; changed and deleted files are noticed',
  withServices(async (s) => {
    const work = tempDir();
    try {
      generateSmallCorpus(work.path, 60);
      const first = await indexPath(s.db, s.library, work.path);
      assert.equal(first.instances, 60);
      assert.equal(first.filesRead, 60);
      const second = await indexPath(s.db, s.library, work.path);
      assert.equal(second.filesRead, 0);
      assert.equal(second.filesUnchanged, 60);
      assert.deepEqual({ ...second, filesRead: 0, filesUnchanged: 0 }, { ...first, filesRead: 0, filesUnchanged: 0 });
      // Replace one file with another instance, delete another.
      const a = join(work.path, 'PID00000/S0/SE0/IM0.dcm');
      const b = join(work.path, 'PID00000/S0/SE0/IM1.dcm');
      copyFileSync(join(work.path, 'PID00000/S0/SE1/IM0.dcm'), a);
      utimesSync(a, new Date(), new Date(Date.now() + 5000));
      rmSync(b);
      const third = await indexPath(s.db, s.library, work.path);
      assert.equal(third.filesRead, 1);
      assert.equal(third.instances, 58);
      assert.equal(s.library.counts().instances, 58);
    } finally {
      work.cleanup();
    }
  }),
);

test(
  'the same SOP instance in two files is one instance with two files',
  withServices(async (s) => {
    const work = tempDir();
    try {
      mkdirSync(join(work.path, 'copy'));
      copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(work.path, 'a.dcm'));
      copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(work.path, 'copy', 'no-extension'));
      writeFileSync(join(work.path, 'notes.txt'), 'not DICOM at all, just text long enough to be sniffed');
      const summary = await indexPath(s.db, s.library, work.path);
      assert.equal(summary.instances, 1);
      assert.deepEqual(summary.errors, []);
      assert.equal((s.db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n, 2);
    } finally {
      work.cleanup();
    }
  }),
);

test(
  'a folder with a DICOMDIR is indexed through it, also when opened as the DICOMDIR file itself',
  withServices(async (s) => {
    const work = tempDir();
    try {
      // A copy of pydicom's file-set with only its own DICOMDIR (the others are variants of it).
      const src = join(PYDICOM_TEST_FILES, 'dicomdirtests');
      for (const d of ['77654033', '98892001', '98892003']) cpSync(join(src, d), join(work.path, d), { recursive: true });
      copyFileSync(join(src, 'DICOMDIR'), join(work.path, 'DICOMDIR'));
      const expected = python<number>([
        '-c',
        `import pydicom; ds=pydicom.dcmread('${join(work.path, 'DICOMDIR')}'); print(len([r for r in ds.DirectoryRecordSequence if 'ReferencedFileID' in r]))`,
      ]);
      const viaFolder = await indexPath(s.db, s.library, work.path);
      assert.equal(viaFolder.instances, expected);
      assert.deepEqual(viaFolder.errors, []);
      const viaFile = await indexPath(s.db, s.library, join(work.path, 'DICOMDIR'));
      assert.equal(viaFile.instances, expected);
    } finally {
      work.cleanup();
    }
  }),
);

test(
  'cancelling stops the job with CANCELLED and keeps what was indexed',
  withServices(async (s) => {
    const work = tempDir();
    try {
      generateSmallCorpus(work.path, 400);
      const controller = new AbortController();
      let progressCalls = 0;
      await assert.rejects(
        indexPath(s.db, s.library, work.path, {
          signal: controller.signal,
          onProgress: () => {
            progressCalls++;
            controller.abort();
          },
        }),
        (err: Error & { code?: string }) => err.code === 'CANCELLED',
      );
      assert.ok(progressCalls >= 1);
      assert.ok(s.library.counts().instances > 0);
      const resumed = await indexPath(s.db, s.library, work.path);
      assert.equal(resumed.instances, 400);
      assert.ok(resumed.filesUnchanged > 0);
    } finally {
      work.cleanup();
    }
  }),
);

test(
  'a missing folder is a clear IO error',
  withServices(async (s) => {
    await assert.rejects(indexPath(s.db, s.library, '/nonexistent/courier'), /does not exist/);
  }),
);
