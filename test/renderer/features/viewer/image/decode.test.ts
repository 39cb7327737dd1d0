/**
 * The viewer's decode — parseFile → rawFrame → decodeFrame (shared/dicom/frameCodec.ts, the codecs
 * export and send use) → convertFrame, the code the page and its workers run — in Node, on files
 * written by other toolkits, value for value against pydicom (test/e2e/pixels.py values): pydicom's
 * test files (compressed ones decompressed by GDCM, `gdcmconv --raw`, first), and the whole codec
 * corpus against its references (test/fixtures/codecCorpus.ts). Greyscale stored values must be equal (quantized float and wide integer
 * ranges within half a step), RGB equal once scaled to 8 bits, YBR within the rounding of the
 * colour conversion.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { frameCodecs } from '../../../../../electron/dicom/pixels.ts';
import { decodeFrame } from '../../../../../renderer/features/viewer/image/decode.ts';
import { parseFile, rawFrame } from '../../../../../renderer/features/viewer/image/parseFile.ts';
import { convertFrame, type Frame } from '../../../../../renderer/features/viewer/image/samples.ts';
import { codecCorpus } from '../../../../fixtures/codecCorpus.ts';
import { PYDICOM_TEST_FILES, python, ROOT, tempDir } from '../../../../helpers.ts';

// The codecs as export and send load them: the viewer's decode must agree with theirs and with the references.
const codecs = await frameCodecs();

/** Every frame of a file as the viewer decodes it. */
export function viewerFrames(path: string): Frame[] {
  const file = parseFile(readFileSync(path));
  const out: Frame[] = [];
  for (let i = 0; i < file.layout.frames; i++) {
    const raw = rawFrame(file, i);
    if (raw.native) {
      out.push(convertFrame(raw.native, file.layout, file.palette));
    } else {
      const decoded = decodeFrame(codecs, file.transferSyntaxUID, raw.encoded, file.layout);
      out.push(convertFrame(decoded.frame, decoded.layout, file.palette));
    }
  }
  return out;
}

interface Reference {
  frames: number;
  rows: number;
  columns: number;
  samples: number;
  bits: number;
  photometric: string;
  values: Float64Array;
}

/** pydicom's values of each of `paths` (one Python run). */
export function references(paths: string[], dir: string): Reference[] {
  const spec = paths.map((path, i) => ({ path, out: join(dir, `values-${i}.bin`) }));
  writeFileSync(join(dir, 'values.json'), JSON.stringify(spec));
  const metas = python<Omit<Reference, 'values'>[]>([join(ROOT, 'test/e2e/pixels.py'), 'values', join(dir, 'values.json')]);
  return metas.map((meta, i) => {
    const bytes = readFileSync(spec[i].out);
    return { ...meta, values: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) };
  });
}

/** The largest difference between the viewer's frames and the reference, in display units for colour. */
export function worstDifference(frames: Frame[], ref: Reference): number {
  assert.equal(frames.length, ref.frames, 'frames');
  const n = ref.rows * ref.columns;
  let worst = 0;
  frames.forEach((f, k) => {
    if (f.kind === 'grey') {
      assert.equal(ref.samples, 1, `frame ${k + 1} is grey, pydicom has ${ref.samples} samples`);
      for (let i = 0; i < n; i++) {
        const d = Math.abs(f.pixels[i] * f.scale + f.offset - ref.values[k * n + i]) / f.scale;
        if (d > worst) worst = d;
      }
    } else {
      assert.equal(ref.samples, 3, `frame ${k + 1} is colour, pydicom has ${ref.samples} samples`);
      const k8 = 255 / (2 ** ref.bits - 1);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) {
          const want = ref.photometric === 'PALETTE COLOR' ? Math.floor(ref.values[(k * n + i) * 3 + c] / 2 ** (ref.bits - 8)) : Math.round(ref.values[(k * n + i) * 3 + c] * k8);
          const d = Math.abs(f.pixels[i * 4 + c] - want);
          if (d > worst) worst = d;
        }
      }
    }
  });
  return worst;
}

/** pydicom decodes these itself (native, RLE, deflate): every one must match. */
const PYDICOM_DECODES = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_expb.dcm',
  'MR_small_RLE.dcm',
  'MR_small_padded.dcm',
  'ExplVR_BigEnd.dcm',
  'image_dfl.dcm',
  'liver_1frame.dcm',
  'liver_expb_1frame.dcm',
  'rtdose.dcm',
  // Not rtdose_expb.dcm: pydicom wrote its 32-bit OW pixels as 32-bit big-endian values, which DCMTK, GDCM and
  // Courier read as 16-bit words (PS3.5 A.3); the corpus's grey32.bigendian.dcmtk checks that reading.
  'rtdose_rle.dcm',
  'SC_rgb_rle.dcm',
  'SC_rgb_rle_2frame.dcm',
  'SC_rgb_rle_16bit_2frame.dcm',
  'SC_rgb_rle_32bit_2frame.dcm',
  'SC_rgb_small_odd.dcm',
  'SC_ybr_full_422_uncompressed.dcm',
];

/** Compressed files GDCM decompresses for the reference. */
const GDCM_DECODES = [
  'MR_small_jpeg_ls_lossless.dcm',
  'MR_small_jp2klossless.dcm',
  'JPEG2000.dcm',
  'JPGExtended.dcm',
  'SC_rgb_jpeg_gdcm.dcm',
  'SC_rgb_jpeg_dcmtk.dcm',
  'SC_rgb_dcmtk_+eb+cy+np.dcm',
  'SC_rgb_gdcm_KY.dcm',
  'GDCMJ2K_TextGBR.dcm',
];

test('the viewer decodes pydicom test files as pydicom does', (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const refs = references(PYDICOM_DECODES.map((name) => join(PYDICOM_TEST_FILES, name)), dir.path);
  PYDICOM_DECODES.forEach((name, k) => {
    const path = join(PYDICOM_TEST_FILES, name);
    const ref = refs[k];
    const worst = worstDifference(viewerFrames(path), ref);
    const allowed = ref.photometric.startsWith('YBR') ? 2 : 0.5;
    assert.ok(worst <= allowed + 1e-9, `${name}: worst difference ${worst} (allowed ${allowed})`);
  });
});

test('the viewer decodes compressed test files as GDCM does', (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const raws = GDCM_DECODES.map((name) => {
    const raw = join(dir.path, name);
    execFileSync('gdcmconv', ['--raw', join(PYDICOM_TEST_FILES, name), raw], { stdio: ['ignore', 'pipe', 'pipe'] });
    return raw;
  });
  const refs = references(raws, dir.path);
  GDCM_DECODES.forEach((name, k) => {
    const ref = refs[k];
    const worst = worstDifference(viewerFrames(join(PYDICOM_TEST_FILES, name)), ref);
    // Lossy JPEG is decoded by IJG in both; YBR is converted by each with its own rounding.
    const allowed = ref.photometric.startsWith('YBR') ? 2 : 0.5;
    assert.ok(worst <= allowed, `${name}: worst difference ${worst} (allowed ${allowed})`);
  });
});

test('the viewer decodes the codec corpus as the independent decoders do', (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const corpus = codecCorpus();
  const refs = references(
    corpus.files.map((f) => f.reference),
    dir.path,
  );
  const failures: string[] = [];
  corpus.files.forEach((f, k) => {
    let worst: number;
    try {
      worst = worstDifference(viewerFrames(f.file), refs[k]);
    } catch (err) {
      failures.push(`${f.name}: ${(err as Error).message}`);
      return;
    }
    // Equal, lossy syntaxes included (their references come from the same libraries, test/fixtures/codecCorpus.ts),
    // YBR within the rounding of the conversion to RGB.
    const allowed = refs[k].photometric.startsWith('YBR') ? 2 : 0.5;
    if (worst > allowed + 1e-9) failures.push(`${f.name}: worst difference ${worst} (allowed ${allowed})`);
  });
  console.log(`${corpus.files.length - failures.length} of ${corpus.files.length} corpus files decoded as their reference`);
  assert.deepEqual(failures, []);
});
