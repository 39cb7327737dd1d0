/**
 * Test studies for the commit tests: `n` copies of pydicom's CT_small.dcm, each with its own SOP
 * Instance UID, written by pydicom (a toolkit other than ours) into `dir`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../../../electron/commit/hash.ts';
import { RACY_MS } from '../../../electron/fileStamp.ts';
import { PYDICOM_TEST_FILES, python } from '../../helpers.ts';

/** One generated file. */
export interface StudyFile {
  path: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

const SCRIPT = `
import sys, json, os, pydicom
src, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)
files = []
for i in range(n):
    ds = pydicom.dcmread(src)
    uid = '1.2.826.0.1.3680043.8.498.77.%s.%d' % (seed, i + 1)
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.StudyInstanceUID = '1.2.826.0.1.3680043.8.498.77.%s' % seed
    ds.SeriesInstanceUID = '1.2.826.0.1.3680043.8.498.77.%s.0' % seed
    ds.InstanceNumber = i + 1
    p = os.path.join(out, 'IM%05d.dcm' % (i + 1))
    ds.save_as(p, write_like_original=True)
    files.append({'path': p, 'sopInstanceUid': uid, 'sopClassUid': str(ds.SOPClassUID)})
print(json.dumps(files))
`;

/** Writes `n` distinct CT instances of one study into `dir`. `seed` keeps UIDs apart between tests. */
export function makeStudy(dir: string, n: number, seed: number = Math.floor(Math.random() * 1e9)): StudyFile[] {
  const files = python<StudyFile[]>(['-c', SCRIPT, join(PYDICOM_TEST_FILES, 'CT_small.dcm'), dir, String(n), String(seed)]);
  settle(files.map((f) => f.path));
  return files;
}

/**
 * Returns once every file in `paths` was last changed more than RACY_MS ago. A file sent within
 * RACY_MS of a write has a racy stamp and is never deleted (electron/fileStamp.ts), so without this
 * a test sending a study at once would see deletions on a slow machine and keeps on a fast one.
 */
export function settle(paths: readonly string[]): void {
  const newest = Math.max(...paths.map((p) => statSync(p).ctimeMs));
  const wait = Math.ceil(newest + 2 * RACY_MS - Date.now());
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
}

/** The instances of a commitment request for `files`, with size and content hash as sent. */
export async function commitInstancesOf(files: StudyFile[]) {
  return Promise.all(
    files.map(async (f) => ({ SOPClassUID: f.sopClassUid, SOPInstanceUID: f.sopInstanceUid, path: f.path, size: statSync(f.path).size, sha256: await sha256File(f.path) })),
  );
}
