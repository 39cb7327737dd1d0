/**
 * A send job and its instances in words: a job that stored nothing reads "failed", never "done";
 * an instance reads stored → committed → deleted, or where it stopped and why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SendInstanceCommit, SendInstanceRow, SendJobCommit } from '../../../../shared/contract/index.ts';
import { instanceStage, jobOutcome, transcodeNote } from '../../../../renderer/features/send/stages.ts';

const counts = { total: 1, pending: 0, committed: 0, failed: 0, timedOut: 0, deleted: 0, kept: 0 };
const jobCommit = (over: Partial<SendJobCommit> = {}): SendJobCommit => ({ request: true, deleteAfterCommit: true, state: 'pending', message: null, transactionIds: [1], counts, ...over });
const row = (state: SendInstanceRow['state'], commit: Partial<SendInstanceCommit> | null = null): SendInstanceRow => ({
  id: 1, instanceId: 1, path: '/x/IM1', size: 10, SOPInstanceUID: '1.2.3', SOPClassUID: '1.2', state, status: state === 'failed' ? 0xa700 : 0, message: null,
  transferSyntax: null, transcodedFrom: null, attempts: 1, updatedAt: null, StudyInstanceUID: '1.2.4',
  commit: commit && { transactionId: 1, transactionUid: '2.25.1', state: 'pending', failureReason: null, failureMeaning: null, deleted: false, keptReason: null, ...commit },
});

test('a job that stored nothing has failed, one with some failures is done with failures', () => {
  assert.deepEqual(jobOutcome({ state: 'done', success: 0, warning: 0, failed: 4, error: null }), { label: 'failed', tone: 'fail' });
  assert.deepEqual(jobOutcome({ state: 'failed', success: 0, warning: 0, failed: 4, error: 'could not connect' }), { label: 'failed', tone: 'fail' });
  assert.deepEqual(jobOutcome({ state: 'done', success: 3, warning: 0, failed: 1, error: null }), { label: 'done, 1 failed', tone: 'warn' });
  assert.deepEqual(jobOutcome({ state: 'done', success: 4, warning: 0, failed: 0, error: null }), { label: 'done', tone: 'ok' });
  // Stored, but one image's commitment failed: done, not green.
  const counts = { total: 4, pending: 0, committed: 3, failed: 1, timedOut: 0, deleted: 3, kept: 1 };
  assert.deepEqual(jobOutcome({ state: 'done', success: 4, warning: 0, failed: 0, error: null, commit: { counts } }), { label: 'done', tone: 'warn' });
  assert.deepEqual(jobOutcome({ state: 'done', success: 4, warning: 0, failed: 0, error: null, commit: { counts: { ...counts, committed: 4, failed: 0 } } }), { label: 'done', tone: 'ok' });
});

test('an instance reads from stored through committed to deleted, or where it stopped', () => {
  const job = { commit: jobCommit() };
  assert.equal(instanceStage(row('success'), { commit: null }, false).text, 'stored');
  assert.equal(instanceStage(row('queued'), job, true).text, 'sending');
  assert.deepEqual(instanceStage(row('failed'), job, false), { text: 'store failed', tone: 'fail' });
  assert.equal(instanceStage(row('success'), { commit: jobCommit({ state: 'waiting' }) }, false).text, 'stored → commitment to be requested');
  assert.equal(instanceStage(row('success', {}), job, false).text, 'stored → commitment requested, pending');
  assert.equal(instanceStage(row('success', { state: 'committed' }), job, false).text, 'stored → committed → deletion pending');
  assert.equal(instanceStage(row('success', { state: 'committed', deleted: true }), job, false).text, 'stored → committed → deleted');
  assert.deepEqual(instanceStage(row('success', { state: 'committed', keptReason: 'changed since it was sent' }), job, false), {
    text: 'stored → committed → kept: changed since it was sent',
    tone: 'warn',
  });
  assert.deepEqual(instanceStage(row('success', { state: 'failed', failureReason: '0x0112', failureMeaning: 'No such object instance' }), job, false), {
    text: 'stored → commitment failed 0x0112: No such object instance',
    tone: 'fail',
  });
  assert.equal(instanceStage(row('success', { state: 'timed-out' }), job, false).tone, 'fail');
  assert.equal(instanceStage(row('success', { state: 'committed' }), { commit: jobCommit({ deleteAfterCommit: false }) }, false).text, 'stored → committed');
});

test('a transcoded instance names both transfer syntaxes, not their UIDs', () => {
  assert.equal(transcodeNote({ transcodedFrom: '1.2.840.10008.1.2.8.1', transferSyntax: '1.2.840.10008.1.2.1' }), ' (transcoded from Deflated Image Frame Compression to Explicit VR Little Endian)');
  assert.equal(transcodeNote({ transcodedFrom: '1.2.840.10008.1.2.4.203', transferSyntax: '1.2.840.10008.1.2' }), ' (transcoded from HTJ2K to Implicit VR Little Endian)');
  assert.equal(transcodeNote({ transcodedFrom: null, transferSyntax: '1.2.840.10008.1.2.1' }), '');
});
