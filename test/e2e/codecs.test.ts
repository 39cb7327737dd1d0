/**
 * Every pydicom test file with pixels, each made its own series (test/e2e/pixels.py uniquify),
 * shown in the viewport: each renders, except a truncated file and a damaged codestream, which say
 * why. (test/e2e/pixels.test.ts compares what is drawn with independent decoders.)
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYDICOM_TEST_FILES, python, ROOT, tempDir } from '../helpers.ts';
import { openApp } from './harness.ts';

/** Files that must render: one or more per transfer syntax and photometric interpretation. */
const MUST_RENDER = [
  'CT_small.dcm', // Explicit VR LE, MONOCHROME2, signed, rescale
  'MR_small_implicit.dcm', // Implicit VR LE
  'MR_small_bigendian.dcm', // Explicit VR BE
  'ExplVR_BigEnd.dcm', // Explicit VR BE, RGB
  'image_dfl.dcm', // Deflated Explicit VR LE
  'MR_small_RLE.dcm', // RLE Lossless
  'SC_rgb_rle.dcm', // RLE, RGB
  'SC_rgb_rle_2frame.dcm', // RLE, multi-frame
  'JPGExtended.dcm', // JPEG Extended (12-bit)
  'SC_rgb_jpeg_dcmtk.dcm', // JPEG Baseline, YBR_FULL
  'SC_rgb_dcmtk_+eb+cy+np.dcm', // JPEG Baseline, YBR_FULL_422
  'SC_rgb_jpeg_gdcm.dcm', // JPEG Lossless SV1
  'MR_small_jpeg_ls_lossless.dcm', // JPEG-LS lossless
  'MR_small_jp2klossless.dcm', // JPEG 2000 lossless
  'JPEG2000.dcm', // JPEG 2000
  'SC_ybr_full_422_uncompressed.dcm', // YBR_FULL_422 uncompressed
  'rtdose.dcm', // 32-bit multi-frame
  'SC_jpeg_no_color_transform.dcm', // no Modality, JPEG RGB without colour transform
  'liver_1frame.dcm', // 1 bit allocated
  'liver_expb_1frame.dcm', // 1 bit allocated, big endian
  'rtdose_expb.dcm', // 32-bit grey, big endian
  'rtdose_rle.dcm', // 32-bit grey, RLE
  'SC_rgb_rle_16bit.dcm', // 16-bit RGB
  'SC_rgb_rle_32bit_2frame.dcm', // 32-bit RGB, two frames
];

/** Files that must say why they cannot be shown, and what the reason must name. */
const MUST_FAIL: Record<string, RegExp> = {
  'MR_truncated.dcm': /^error: This image cannot be shown: .*The file is truncated: the image needs 8192 bytes of pixel data, the file holds 8130$/,
  // Its codestream is damaged (gdcmconv refuses it: "Invalid number of tiles").
  'JPEG2000-embedded-sequence-delimiter.dcm': /^error: This image cannot be shown: JPEG 2000: The compressed data could not be decoded: the codestream is damaged/,
};

test('every pydicom test image renders or says why it cannot', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  const files = readdirSync(PYDICOM_TEST_FILES)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => join(PYDICOM_TEST_FILES, f));
  // Copies with their own UIDs; files pydicom cannot read (no meta, truncated …) are left out by the script.
  const { files: copied } = python<{ files: string[] }>([join(ROOT, 'test/e2e/pixels.py'), 'uniquify', folder.path, ...files]);
  const app = await openApp({ open: folder.path });
  t.after(() => app.close());
  // `serve --open` reports what it indexed on stderr (which may arrive just after the URL on stdout).
  const deadline = Date.now() + 60_000;
  while (!/indexed .*series/.test(app.serve.stderr()) && Date.now() < deadline) await app.page.waitForTimeout(50);
  const seriesCount = Number(/(\d+) series/.exec(app.serve.stderr())?.[1]);
  assert.ok(seriesCount >= copied.length - 5, `${seriesCount} series indexed for ${copied.length} files`);
  const rows = app.page.getByTestId('series-row');
  // More than five patients: the tree starts collapsed; open everything until every series is listed.
  const closed = app.page.locator('[role="treeitem"][aria-expanded="false"] > .row > .twisty');
  while (Date.now() < deadline) {
    if ((await closed.count()) > 0) await closed.first().click();
    else if ((await rows.count()) >= seriesCount) break;
    else await app.page.waitForTimeout(100); // studies or series still loading
  }
  const results = new Map<string, string>();
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    const name = (await row.locator('.series-text .title').textContent())!.trim().split(' ').at(-1)!;
    const seriesId = await row.getAttribute('data-series-id');
    await row.locator('.series-open').click();
    await app.page.waitForFunction(
      (id) => {
        const v = document.querySelector('[data-testid="viewport"]') as HTMLElement;
        return v.dataset.seriesId === id && ['shown', 'error', 'no-images'].includes(v.dataset.state ?? '');
      },
      seriesId,
      { timeout: 90_000 },
    );
    const vp = await app.viewport(0);
    const message = vp.state === 'error' ? await app.page.getByTestId('viewport-error').textContent() : '';
    results.set(name, vp.state === 'error' ? `error: ${message}` : vp.state);
  }
  for (const [name, r] of [...results].sort()) console.log(`${name.padEnd(44)} ${r}`);
  for (const f of MUST_RENDER) assert.equal(results.get(f), 'shown', `${f}: ${results.get(f)}`);
  for (const [f, reason] of Object.entries(MUST_FAIL)) assert.match(results.get(f) ?? '', reason, `${f}: ${results.get(f)}`);
  for (const [name, r] of results) if (!(name in MUST_FAIL)) assert.equal(r, 'shown', `${name}: ${r}`);
  assert.deepEqual(app.pageErrors, []);
});
