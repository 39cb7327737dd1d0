import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduError, PduReader, decodePdu, encodePdu, pDataHeader, PDATA_HEADER_SIZE, type AssociateRq, type AssociateAc } from '../../../electron/dimse/pdu.ts';

const rq: AssociateRq = {
  type: 'associate-rq',
  protocolVersion: 1,
  calledAe: 'PACS',
  callingAe: 'COURIER',
  applicationContext: '1.2.840.10008.3.1.1.1',
  contexts: [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    { id: 3, abstractSyntax: '1.2.840.10008.1.20.1', transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] },
  ],
  user: {
    maxPduLength: 16384,
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'TEST_1',
    asyncOps: { invoked: 1, performed: 1 },
    roles: [{ sopClassUid: '1.2.840.10008.1.20.1', scu: false, scp: true }],
  },
};

test('A-ASSOCIATE-RQ round-trips, role selection included', () => {
  const bytes = encodePdu(rq);
  assert.equal(bytes[0], 1);
  assert.equal(bytes.readUInt32BE(2), bytes.length - 6);
  assert.deepEqual(decodePdu(bytes[0], bytes.subarray(6)), rq);
});

test('A-ASSOCIATE-AC round-trips', () => {
  const ac: AssociateAc = {
    type: 'associate-ac',
    protocolVersion: 1,
    calledAe: 'PACS',
    callingAe: 'COURIER',
    applicationContext: '1.2.840.10008.3.1.1.1',
    contexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }, { id: 3, result: 4, transferSyntax: '' }],
    user: { maxPduLength: 0, implementationClassUid: '1.2.3', roles: [] },
  };
  const bytes = encodePdu(ac);
  assert.deepEqual(decodePdu(bytes[0], bytes.subarray(6)), ac);
});

test('RJ, release, abort and P-DATA round-trip', () => {
  for (const p of [
    { type: 'associate-rj', result: 1, source: 1, reason: 3 },
    { type: 'release-rq' },
    { type: 'release-rp' },
    { type: 'abort', source: 2, reason: 6 },
  ] as const) {
    const b = encodePdu(p);
    assert.deepEqual(decodePdu(b[0], b.subarray(6)), p);
  }
  const pd = encodePdu({ type: 'p-data', pdvs: [{ contextId: 1, command: true, last: true, data: Buffer.from([1, 2, 3, 4]) }, { contextId: 1, command: false, last: false, data: Buffer.from([9]) }] });
  const back = decodePdu(pd[0], pd.subarray(6));
  assert.equal(back.type, 'p-data');
  if (back.type === 'p-data') {
    assert.equal(back.pdvs.length, 2);
    assert.deepEqual([...back.pdvs[0].data], [1, 2, 3, 4]);
    assert.equal(back.pdvs[1].last, false);
  }
});

test('pDataHeader writes the same bytes as encodePdu', () => {
  const data = Buffer.from('abcdef');
  const buf = Buffer.alloc(PDATA_HEADER_SIZE + data.length);
  pDataHeader(buf, 5, false, true, data.length);
  data.copy(buf, PDATA_HEADER_SIZE);
  assert.deepEqual(buf, encodePdu({ type: 'p-data', pdvs: [{ contextId: 5, command: false, last: true, data }] }));
});

test('PduReader reassembles PDUs split at every byte', () => {
  const stream = Buffer.concat([encodePdu(rq), encodePdu({ type: 'release-rq' }), encodePdu({ type: 'abort', source: 0, reason: 0 })]);
  const r = new PduReader(1 << 20);
  const out = [];
  for (let i = 0; i < stream.length; i++) out.push(...r.push(stream.subarray(i, i + 1)));
  assert.deepEqual(out.map((p) => p.type), ['associate-rq', 'release-rq', 'abort']);
  assert.equal(r.pending, 0);
});

test('PduReader with a reused read buffer: a PDU split across reads survives the buffer being overwritten', () => {
  const a = encodePdu({ type: 'p-data', pdvs: [{ contextId: 1, command: true, last: true, data: Buffer.from('first PDV!') }] });
  const b = encodePdu({ type: 'p-data', pdvs: [{ contextId: 3, command: false, last: true, data: Buffer.from('second, split across two reads') }] });
  const stream = Buffer.concat([a, b]);
  const readBuffer = Buffer.alloc(stream.length);
  const r = new PduReader(1 << 20);
  const cut = a.length + 9; // the whole first PDU and the start of the second
  stream.copy(readBuffer, 0, 0, cut);
  const first = r.push(readBuffer.subarray(0, cut), true);
  assert.equal(first.length, 1);
  assert.equal(first[0].type === 'p-data' && first[0].pdvs[0].data.toString(), 'first PDV!');
  readBuffer.fill(0xee); // the next read reuses the buffer
  stream.copy(readBuffer, 0, cut);
  const second = r.push(readBuffer.subarray(0, stream.length - cut), true);
  assert.equal(second.length, 1);
  assert.equal(second[0].type === 'p-data' && second[0].pdvs[0].data.toString(), 'second, split across two reads');
  assert.equal(r.pending, 0);
});

test('PduReader: truncated input stays pending, never throws', () => {
  const b = encodePdu(rq);
  const r = new PduReader(1 << 20);
  assert.deepEqual(r.push(b.subarray(0, b.length - 3)), []);
  assert.equal(r.pending, b.length - 3);
});

test('PduReader: unknown PDU type, oversize and malformed items give PduError', () => {
  assert.throws(() => new PduReader(1000).push(Buffer.from([0x09, 0, 0, 0, 0, 0])), PduError);
  assert.throws(() => new PduReader(1000).push(Buffer.from([0x04, 0, 0, 0, 0x10, 0])), /exceeds/);
  // P-DATA whose PDV length runs past the PDU
  assert.throws(() => new PduReader(1000).push(Buffer.from([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 9, 1, 3])), PduError);
  // A-ASSOCIATE-RQ cut short inside its items
  const b = encodePdu(rq);
  const bad = Buffer.from(b);
  bad.writeUInt16BE(0xffff, 6 + 68 + 2);
  assert.throws(() => new PduReader(1 << 20).push(bad), PduError);
  // Fuzz: random corruption never throws anything but PduError
  for (let i = 0; i < 2000; i++) {
    const c = Buffer.from(b);
    for (let k = 0; k < 4; k++) c[6 + Math.floor(Math.random() * (c.length - 6))] = Math.floor(Math.random() * 256);
    try {
      new PduReader(1 << 20).push(c);
    } catch (err) {
      assert.ok(err instanceof PduError, String(err));
    }
  }
});
