// The contract's runtime validators and the DICOM value checks the UI forms reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayOf, bool, int, none, object, oneOf, optional, str, ValidationError } from '../../shared/validate.ts';
import { aeTitleProblem, formatDicomDate, formatPersonName, parseNodeAddress, portProblem, uidProblem } from '../../shared/dicomValues.ts';
import { channels } from '../../shared/contract/index.ts';

test('object validators type, bound and reject unknown fields', () => {
  const v = object({ name: str({ min: 1, max: 4 }), n: int(0, 9), flag: optional(bool), kind: oneOf('a', 'b'), list: arrayOf(int(), 2) });
  assert.deepEqual(v({ name: 'ab', n: 3, kind: 'a', list: [1, 2] }), { name: 'ab', n: 3, kind: 'a', list: [1, 2] });
  assert.throws(() => v({ name: '', n: 3, kind: 'a', list: [] }), /name must have at least 1/);
  assert.throws(() => v({ name: 'abcde', n: 3, kind: 'a', list: [] }), /at most 4/);
  assert.throws(() => v({ name: 'a', n: 3.5, kind: 'a', list: [] }), /n must be an integer/);
  assert.throws(() => v({ name: 'a', n: 3, kind: 'c', list: [] }), /kind must be one of a, b/);
  assert.throws(() => v({ name: 'a', n: 3, kind: 'a', list: [1, 2, 3] }), /at most 2 entries/);
  assert.throws(() => v({ name: 'a', n: 3, kind: 'a', list: [], extra: 1 }), /extra is not expected/);
  assert.throws(() => v(null), ValidationError);
  assert.equal(none(undefined), undefined);
  assert.throws(() => none({ a: 1 }), /must be empty/);
});

test('every channel has a request validator', () => {
  for (const [name, c] of Object.entries(channels)) assert.equal(typeof c.request, 'function', name);
});

test('AE titles, UIDs, ports and node addresses are checked as PS3.5 says', () => {
  assert.equal(aeTitleProblem('STORESCP'), null);
  assert.match(aeTitleProblem('')!, /empty/);
  assert.match(aeTitleProblem('A'.repeat(17))!, /16/);
  assert.match(aeTitleProblem('BAD\\AE')!, /backslash/);
  assert.match(aeTitleProblem('BAD\nAE')!, /control/);
  assert.equal(uidProblem('1.2.840.10008.1.2.1'), null);
  assert.match(uidProblem('1.02.3')!, /leading zeros/);
  assert.match(uidProblem('1.' + '2'.repeat(64))!, /64/);
  assert.match(uidProblem('1.2.a')!, /digits/);
  assert.equal(portProblem(104), null);
  assert.ok(portProblem(0) && portProblem(70000) && portProblem(1.5));
  assert.deepEqual(parseNodeAddress('ORTHANC@127.0.0.1:4242'), { aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242 });
  assert.deepEqual(parseNodeAddress('PACS@[::1]:104'), { aeTitle: 'PACS', host: '::1', port: 104 });
  assert.throws(() => parseNodeAddress('ORTHANC:4242'), /AE@host:port/);
  assert.throws(() => parseNodeAddress('TOO_LONG_AE_TITLE_X@h:1'), /16/);
});

test('dates and person names are shown the way people read them', () => {
  assert.equal(formatDicomDate('20261128'), '2026-11-28');
  assert.equal(formatDicomDate(''), '');
  assert.equal(formatPersonName('Doe^John^Q^Dr^Jr'), 'Doe, Dr John Q Jr');
  assert.equal(formatPersonName('Yamada^Tarou=山田^太郎'), 'Yamada, Tarou');
  assert.equal(formatPersonName('Anonymous'), 'Anonymous');
});
