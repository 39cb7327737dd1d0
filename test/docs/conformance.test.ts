/**
 * One table, not two: the tables of the DICOM Conformance Statement (docs/conformance.md) are what
 * scripts/conformance.ts finds the code doing — what `courier echo` and `courier send --commit`
 * propose on the wire, what the real accepter accepts, and the code's transcoding, media profile and
 * character set tables. A change to any of them fails here until the statement is regenerated.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { conformanceTables, STATEMENT, withTables } from '../../scripts/conformance.ts';

test('the Conformance Statement lists the SOP classes and transfer syntaxes the code proposes and accepts', async () => {
  const tables = await conformanceTables();
  const statement = readFileSync(STATEMENT, 'utf8');
  for (const id of tables.keys()) assert.ok(statement.includes(`<!-- generated:${id} -->`), `docs/conformance.md lost its ${id} table`);
  // Facts a reader relies on, so a broken generator cannot pass by writing nothing.
  assert.match(tables.get('sop-classes')!, /\| Verification \| 1\.2\.840\.10008\.1\.1 \| Yes \| Yes \|/);
  assert.match(tables.get('sop-classes')!, /\| Storage Commitment Push Model \| 1\.2\.840\.10008\.1\.20\.1 \| Yes \| No \|/);
  assert.match(tables.get('proposed')!, /the file's own transfer syntax, then Explicit VR Little Endian/);
  assert.match(tables.get('accepted')!, /SCU=0, SCP=1 to a requestor proposing SCU=0, SCP=1/);
  assert.equal(
    statement,
    withTables(statement, tables),
    'docs/conformance.md says something else than the code does: run `npm run conformance`, read the diff, and commit it',
  );
});
