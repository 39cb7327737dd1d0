import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduError, PduReader, decodePdu, encodePdu, pDataHeader, PDATA_HEADER_SIZE, type AssociateRq, type AssociateAc, type Pdv } from '../../../electron/dimse/pdu.ts';
import { MAX_CONTROL_PDU } from '../../../electron/dimse/limits.ts';

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

test('PduReader: a P-DATA-TF of several PDVs cut into two reads at every byte gives the same PDVs', () => {
  const pdvs: Pdv[] = [
    { contextId: 1, command: true, last: true, data: Buffer.from('the command set') },
    { contextId: 1, command: false, last: false, data: Buffer.from('dataset, first part') },
    { contextId: 1, command: false, last: true, data: Buffer.from('and its end') },
  ];
  const pdu = encodePdu({ type: 'p-data', pdvs });
  /** The PDVs read, their pieces joined per PDV. */
  const join = (out: ReturnType<PduReader['push']>[]) => {
    const whole: Pdv[] = [];
    let open: Pdv | null = null;
    for (const p of out.flat()) {
      assert.equal(p.type, 'p-data');
      if (p.type !== 'p-data') continue;
      for (const v of p.pdvs) {
        const joined: Pdv = { ...v, data: Buffer.concat([open?.data ?? Buffer.alloc(0), v.data]) };
        // A PDV is whole when its last piece came (the last flag, or all its bytes for one without it).
        if (v.last || joined.data.length === pdvs[whole.length].data.length) {
          whole.push(joined);
          open = null;
        } else open = joined;
      }
    }
    return whole;
  };
  for (let cut = 1; cut < pdu.length; cut++) {
    const r = new PduReader(1 << 20);
    const got = join([r.push(pdu.subarray(0, cut)), r.push(pdu.subarray(cut))]);
    assert.deepEqual(got, pdvs, `cut at byte ${cut}`);
    assert.equal(r.pending, 0);
  }
});

test('PduReader hands a P-DATA-TF on piece by piece as it arrives, holding none of it', () => {
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const pdu = encodePdu({ type: 'p-data', pdvs: [{ contextId: 1, command: true, last: true, data: Buffer.from('cmd') }, { contextId: 1, command: false, last: true, data: big }] });
  const r = new PduReader(1 << 20);
  const pieces: Pdv[] = [];
  let continued = 0;
  // A read buffer of 64 KiB, reused: each piece is used (copied here) before the next read.
  const readBuffer = Buffer.alloc(64 * 1024);
  for (let at = 0; at < pdu.length; at += readBuffer.length) {
    const n = pdu.copy(readBuffer, 0, at, at + readBuffer.length);
    for (const p of r.push(readBuffer.subarray(0, n), true)) {
      assert.equal(p.type, 'p-data');
      if (p.type !== 'p-data') continue;
      if (p.continued) continued++;
      for (const v of p.pdvs) pieces.push({ ...v, data: Buffer.from(v.data) });
    }
    assert.equal(r.held, 0, 'nothing of a P-DATA-TF is held by the reader');
  }
  assert.equal(r.pending, 0);
  assert.equal(continued, Math.ceil(pdu.length / readBuffer.length) - 1, 'every piece but the last says the PDU goes on');
  assert.deepEqual(pieces[0], { contextId: 1, command: true, last: true, data: Buffer.from('cmd') });
  const data = pieces.slice(1);
  assert.ok(data.every((v, i) => !v.command && v.last === (i === data.length - 1)), 'only the piece that ends the PDV carries its last flag');
  assert.ok(Buffer.concat(data.map((v) => v.data)).equals(big), 'the pieces are the PDV\'s bytes, in order');
});

test('PduReader: a PDV header that does not fit is refused at once, not when the PDU is complete', () => {
  const r = new PduReader(1 << 20);
  // Declared at 1 MB; its first PDV claims more than the PDU holds.
  const head = Buffer.from([0x04, 0, 0, 0x0f, 0x42, 0x40, 0, 0x10, 0, 0, 1, 0]);
  assert.throws(() => r.push(head), /PDV length 1048576 does not fit/);
});

test('PduReader: a PDU other than P-DATA-TF longer than MAX_CONTROL_PDU is refused at its header', () => {
  const header = Buffer.alloc(6);
  header[0] = 0x01;
  header.writeUInt32BE(MAX_CONTROL_PDU + 1, 2);
  assert.throws(() => new PduReader(64 << 20).push(header), /A-ASSOCIATE-RQ of \d+ bytes exceeds the limit/);
  header.writeUInt32BE(MAX_CONTROL_PDU, 2);
  const r = new PduReader(64 << 20);
  assert.deepEqual(r.push(header), []);
  assert.equal(r.held, MAX_CONTROL_PDU, 'an A-ASSOCIATE-RQ is gathered whole, and what that holds is said');
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
