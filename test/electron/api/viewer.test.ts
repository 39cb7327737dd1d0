/**
 * The tag browser's element tree (electron/api/viewer.ts) over pydicom's test files, and the
 * viewer channels through the dispatcher.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TagNode } from '../../../shared/contract/index.ts';
import { createDispatcher, createHandlers } from '../../../electron/api/handlers.ts';
import { tagTree } from '../../../electron/api/viewer.ts';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices } from '../../../electron/services.ts';
import { PYDICOM_TEST_FILES, tempDir } from '../../helpers.ts';

const read = (f: string) => tagTree(readFileSync(join(PYDICOM_TEST_FILES, f)));
const find = (nodes: TagNode[], tag: string) => nodes.find((n) => n.tag === tag);

test('CT_small: names, values, private elements with their creator, meta group', () => {
  const t = read('CT_small.dcm');
  assert.equal(t.transferSyntaxUID, '1.2.840.10008.1.2.1');
  assert.equal(find(t.meta, '(0002,0010)')?.value, '1.2.840.10008.1.2.1');
  assert.deepEqual(find(t.elements, '(0010,0010)'), { tag: '(0010,0010)', name: 'PatientName', vr: 'PN', length: 22, value: 'CompressedSamples^CT1', private: false });
  assert.equal(find(t.elements, '(0028,0010)')?.value, '128');
  assert.equal(find(t.elements, '(0028,1052)')?.value, '-1024');
  const priv = t.elements.filter((n) => n.private);
  assert.ok(priv.length > 50);
  assert.ok(priv.some((n) => n.name === 'PrivateCreator'));
  assert.ok(priv.some((n) => /^Private \(.+\)$/.test(n.name)), 'private elements name their creator');
  assert.match(find(t.elements, '(7FE0,0010)')!.value, /^32768 bytes: /);
});

test('SR: sequences carry their items, nested', () => {
  const t = read('test-SR.dcm');
  const content = find(t.elements, '(0040,A730)')!;
  assert.equal(content.vr, 'SQ');
  assert.ok(content.items!.length >= 1);
  assert.ok(content.items!.some((item) => item.some((n) => n.items)), 'nested sequences');
});

test('implicit VR, big endian, deflate and a truncated file', () => {
  assert.equal(find(read('rtplan.dcm').elements, '(300A,0002)')?.vr, 'SH', 'implicit VR gets the dictionary VR');
  assert.equal(find(read('MR_small_bigendian.dcm').elements, '(0028,0010)')?.value, '64');
  assert.equal(find(read('image_dfl.dcm').elements, '(0028,0010)')?.value, '512');
  const truncated = read('MR_truncated.dcm').elements;
  assert.equal(truncated.at(-1)?.name, 'Parsing stopped here');
});

test('viewer channels through the dispatcher', async (t) => {
  const home = tempDir();
  t.after(home.cleanup);
  const services = createServices(home.path);
  t.after(() => services.close());
  await indexPath(services.db, services.library, join(PYDICOM_TEST_FILES, 'MR_small.dcm'));
  const dispatch = createDispatcher(createHandlers(services, { kind: 'browser', version: 'test' }));
  const patient = services.library.patients()[0];
  const study = services.library.studies(patient.id)[0];
  const series = services.library.series(study.id)[0];
  const instance = services.library.instances(series.id)[0];
  const ctx = await dispatch('viewer.series', { seriesId: series.id });
  assert.ok(ctx.ok);
  assert.deepEqual(ctx.value, { patient, study, series });
  const tags = await dispatch('viewer.tags', { instanceId: instance.id });
  assert.ok(tags.ok && (tags.value as { elements: TagNode[] }).elements.length > 20);
  assert.deepEqual(await dispatch('viewer.tags', { instanceId: 999 }), { ok: false, error: { code: 'NOT_FOUND', message: 'No instance 999 in the library' } });
  assert.equal(((await dispatch('viewer.series', { seriesId: 'x' })) as { error: { code: string } }).error.code, 'BAD_REQUEST');
});
