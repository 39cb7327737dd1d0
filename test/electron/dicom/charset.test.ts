// Names in pydicom's charset files come out as pydicom decodes them (PS3.5 §6.1, ISO 2022 escapes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readHeader, textValue } from '../../../electron/dicom/header.ts';
import { Tag } from '../../../electron/dicom/tags.ts';
import { PYDICOM_CHARSET_FILES, python } from '../../helpers.ts';

const expected = python<Record<string, { name: string; description: string }>>([
  '-c',
  `import json,os,pydicom
d='${PYDICOM_CHARSET_FILES}'
out={}
for f in sorted(os.listdir(d)):
    if f.endswith('.dcm'):
        ds=pydicom.dcmread(os.path.join(d,f))
        out[f]={'name':str(ds.get('PatientName','') or ''),'description':str(ds.get('StudyDescription','') or '')}
print(json.dumps(out))`,
]);

const files = readdirSync(PYDICOM_CHARSET_FILES).filter((f) => f.endsWith('.dcm'));

test('every charset file is covered', () => {
  assert.ok(files.length >= 15, `found ${files.length} files`);
  assert.deepEqual(Object.keys(expected).sort(), files.sort());
});

for (const file of files) {
  test(`PatientName of ${file} matches pydicom`, () => {
    const h = readHeader(join(PYDICOM_CHARSET_FILES, file));
    assert.equal(textValue(h, Tag.PatientName, true), expected[file].name);
  });
}
