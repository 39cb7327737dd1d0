import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, CommandField, NO_DATASET, decodeCommand, encodeCommand, statusInfo, commandName } from '../../../electron/dimse/command.ts';
import { decodeDataset, encodeDataset } from '../../../electron/dimse/dataset.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';

test('C-STORE-RQ command set round-trips with group length and even padding', () => {
  const cmd = {
    CommandField: CommandField.CStoreRq,
    MessageID: 7,
    AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    AffectedSOPInstanceUID: '1.2.3.4.5',
    Priority: 0,
    CommandDataSetType: 0,
  };
  const b = encodeCommand(cmd);
  assert.equal(b.readUInt32LE(8), b.length - 12);
  assert.equal(b.length % 2, 0);
  assert.deepEqual(decodeCommand(b), cmd);
});

test('N-EVENT-REPORT-RSP and C-ECHO-RSP round-trip; names', () => {
  for (const cmd of [
    { CommandField: CommandField.NEventReportRsp, MessageIDBeingRespondedTo: 3, AffectedSOPClassUID: '1.2.840.10008.1.20.1', AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', EventTypeID: 1, Status: 0, CommandDataSetType: NO_DATASET },
    { CommandField: CommandField.CEchoRsp, MessageIDBeingRespondedTo: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', Status: 0, CommandDataSetType: NO_DATASET, ErrorComment: 'odd', OffendingElement: [0x00100010] },
  ]) assert.deepEqual(decodeCommand(encodeCommand(cmd)), cmd);
  assert.equal(commandName(CommandField.NActionRq), 'N-ACTION-RQ');
  assert.equal(commandName(CommandField.CStoreRsp), 'C-STORE-RSP');
});

test('malformed command sets give CommandError', () => {
  const b = encodeCommand({ CommandField: 1, CommandDataSetType: 0 });
  assert.throws(() => decodeCommand(b.subarray(0, b.length - 1)), CommandError);
  assert.throws(() => decodeCommand(Buffer.from([8, 0, 0x16, 0, 2, 0, 0, 0, 0x31, 0])), CommandError);
  assert.throws(() => decodeCommand(encodeCommand({ CommandField: 1, CommandDataSetType: 0 }).subarray(0, 12)), /no Command Field/);
});

test('status table: meanings, categories and ranges', () => {
  assert.equal(statusInfo(0).category, 'success');
  assert.equal(statusInfo(0xb000).category, 'warning');
  assert.equal(statusInfo(0xa701).meaning, 'Refused: out of resources');
  assert.equal(statusInfo(0xa701).hex, '0xA701');
  assert.equal(statusInfo(0x0122).meaning, 'Refused: SOP class not supported');
  assert.equal(statusInfo(0xc123).category, 'failure');
  assert.equal(statusInfo(0x0112).reference, 'PS3.7 C.5.7');
});

test('small dataset codec round-trips a storage commitment report in both syntaxes', () => {
  const ds = {
    TransactionUID: '1.2.3.4',
    RetrieveAETitle: 'PACS',
    ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3.4.5' }],
    FailedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3.4.6', FailureReason: 0x0112 }],
  };
  for (const ts of [IMPLICIT_LE, EXPLICIT_LE]) assert.deepEqual(decodeDataset(encodeDataset(ds, ts), ts), ds);
});

test('small dataset codec reads undefined-length sequences and rejects truncation', () => {
  // (0008,1199) SQ undefined length, one undefined-length item with (0008,1150), implicit VR
  const uid = Buffer.from('1.2\0');
  const b = Buffer.concat([
    Buffer.from([0x08, 0, 0x99, 0x11, 0xff, 0xff, 0xff, 0xff]),
    Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
    Buffer.from([0x08, 0, 0x50, 0x11, 4, 0, 0, 0]),
    uid,
    Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
  assert.deepEqual(decodeDataset(b), { ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2' }] });
  assert.throws(() => decodeDataset(b.subarray(0, b.length - 10)));
});
