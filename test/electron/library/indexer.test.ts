// Indexing: agreement with pydicom, incremental re-index, DICOMDIRs, duplicates, errors, cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices, type Services } from '../../../electron/services.ts';
import { generateSmallCorpus } from '../../fixtures/generate.ts';
import { PYDICOM_TEST_FILES, python, tempDir } from '../../helpers.ts';

interface Inventory {
  instances: Record<string, { study: string; series: string; paths: string[] }>;
  unfiled: Record<string, string[]>;
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

const uids = (s: Services, from: 'instances' | 'studies' | 'series' | 'studies WHERE NOT unfiled' | 'series WHERE NOT unfiled', column: string) =>
  (s.db.prepare(`SELECT ${column} AS uid FROM ${from} ORDER BY 1`).all() as { uid: string }[]).map((r) => r.uid);

test(
  "pydicom's test files: every instance, study and series pydicom reads is indexed; bad files are listed",
  withServices(async (s) => {
    const ref = python<Inventory>(['test/tools/pydicom_inventory.py', PYDICOM_TEST_FILES]);
    const summary = await indexPath(s.db, s.library, PYDICOM_TEST_FILES);
    // Files without a Study or Series Instance UID are instances too, in their patient's Unfiled group.
    assert.deepEqual(uids(s, 'instances', 'SOPInstanceUID'), [...Object.keys(ref.instances), ...Object.keys(ref.unfiled)].sort());
    assert.ok(Object.keys(ref.unfiled).length > 0, 'pydicom has files without a Study Instance UID');
    assert.deepEqual(uids(s, 'studies WHERE NOT unfiled', 'StudyInstanceUID'), ref.studies);
    assert.deepEqual(uids(s, 'series WHERE NOT unfiled', 'SeriesInstanceUID'), ref.series);
    assert.equal(summary.instances, Object.keys(ref.instances).length + Object.keys(ref.unfiled).length);
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

test(
  'a large folder indexed by header workers gives the same library as one indexed in-thread',
  withServices(async (s) => {
    const work = tempDir();
    const other = tempDir();
    const otherServices = createServices(other.path);
    try {
      generateSmallCorpus(work.path, 1600);
      writeFileSync(join(work.path, 'broken.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([2, 0, 0x10, 0, 0x55, 0x49, 200, 0])]));
      const parallel = await indexPath(s.db, s.library, work.path);
      assert.equal(parallel.instances, 1600);
      assert.equal(parallel.errors.length, 1);
      assert.equal(parallel.errors[0].path, join(work.path, 'broken.dcm'));
      // The same folder again, in-thread (all files known now): same answer.
      const again = await indexPath(s.db, s.library, work.path);
      assert.equal(again.filesUnchanged, 1601);
      assert.deepEqual({ ...again, filesRead: 0, filesUnchanged: 0 }, { ...parallel, filesRead: 0, filesUnchanged: 0 });
      // A second library indexed from a subfolder (in-thread) agrees on what it holds.
      const sub = await indexPath(otherServices.db, otherServices.library, join(work.path, 'PID00000'));
      const rows = (db: typeof s.db) =>
        db.prepare(`SELECT i.SOPInstanceUID, se.SeriesInstanceUID, st.StudyInstanceUID, p.PatientName FROM instances i JOIN series se ON se.id = i.series_id
          JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id WHERE p.PatientID = 'PID00000' ORDER BY 1`).all();
      assert.equal(sub.instances, 100);
      assert.deepEqual(rows(otherServices.db), rows(s.db));
    } finally {
      await otherServices.close();
      other.cleanup();
      work.cleanup();
    }
  }),
);

test(
  'a CD whose file system shows DICOMDIR file IDs in lower case is still indexed through its DICOMDIR',
  withServices(async (s) => {
    const work = tempDir();
    try {
      const src = join(PYDICOM_TEST_FILES, 'dicomdirtests');
      // Copy the file-set with every name lower-cased, as some CD drivers present ISO 9660 names.
      const copyLower = (from: string, to: string) => {
        mkdirSync(to, { recursive: true });
        for (const e of readdirSync(from, { withFileTypes: true })) {
          if (e.isDirectory()) copyLower(join(from, e.name), join(to, e.name.toLowerCase()));
          else copyFileSync(join(from, e.name), join(to, e.name.toLowerCase()));
        }
      };
      for (const d of ['77654033', '98892001', '98892003']) copyLower(join(src, d), join(work.path, d));
      copyFileSync(join(src, 'DICOMDIR'), join(work.path, 'dicomdir'));
      const summary = await indexPath(s.db, s.library, work.path);
      assert.deepEqual(summary.errors, []);
      assert.ok(summary.instances >= 30, `${summary.instances} instances`);
    } finally {
      work.cleanup();
    }
  }),
);

test(
  'a DICOMDIR that lists files missing from the media reports them and indexes the rest',
  withServices(async (s) => {
    const work = tempDir();
    try {
      const src = join(PYDICOM_TEST_FILES, 'dicomdirtests');
      for (const d of ['77654033', '98892001']) cpSync(join(src, d), join(work.path, d), { recursive: true });
      copyFileSync(join(src, 'DICOMDIR'), join(work.path, 'DICOMDIR'));
      const summary = await indexPath(s.db, s.library, work.path);
      assert.ok(summary.instances > 0);
      assert.ok(summary.errors.length > 0);
      assert.ok(summary.errors.every((e) => e.path.includes('98892003') && /not on the media/.test(e.message)), JSON.stringify(summary.errors[0]));
    } finally {
      work.cleanup();
    }
  }),
);

test(
  'the index checks each instance file as a send would, and reads files indexed before that check once more',
  withServices(async (s, home) => {
    const dir = join(home, 'files');
    mkdirSync(dir);
    const names = ['CT_small.dcm', 'JPEG2000.dcm', 'MR_truncated.dcm', 'SC_rgb_jpeg.dcm', 'ExplVR_LitEndNoMeta.dcm'];
    for (const n of names) copyFileSync(join(PYDICOM_TEST_FILES, n), join(dir, n));
    await indexPath(s.db, s.library, dir);
    const checks = () =>
      Object.fromEntries(
        (s.db.prepare('SELECT path, send_checked, send_problem FROM files ORDER BY path').all() as { path: string; send_checked: number; send_problem: string | null }[]).map((r) => [
          r.path.split('/').pop(),
          [r.send_checked, r.send_problem],
        ]),
      );
    const c = checks();
    assert.deepEqual(c['CT_small.dcm'], [1, null]);
    assert.deepEqual(c['JPEG2000.dcm'], [1, null]);
    assert.equal(c['MR_truncated.dcm'][0], 1);
    assert.match(String(c['MR_truncated.dcm'][1]), /Truncated/);
    assert.match(String(c['SC_rgb_jpeg.dcm'][1]), /Declares JPEG Baseline .* but is encoded as Implicit VR Little Endian/);
    assert.match(String(c['ExplVR_LitEndNoMeta.dcm'][1]), /No File Meta Information/);

    // A library indexed before the check existed (send_checked 0): the next index reads those files again.
    s.db.exec('UPDATE files SET send_checked = 0, send_problem = NULL');
    const again = await indexPath(s.db, s.library, dir);
    assert.equal(again.filesRead, names.length);
    assert.deepEqual(checks(), c);
    assert.equal((await indexPath(s.db, s.library, dir)).filesRead, 0, 'then they are known and checked');
  }),
);
