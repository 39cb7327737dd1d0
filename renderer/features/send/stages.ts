/**
 * Where a send job and each of its instances stand, in words and a tone (ok, warn, fail, wait) for
 * the send queue: a job that stored nothing has failed; an instance goes stored → commitment
 * requested → committed / failed / pending → deleted (or kept, and why).
 */
import type { SendInstanceRow, SendJobCommit, SendJobRow } from '../../../shared/contract/index.ts';
import { transferSyntaxInfo } from '../../../shared/dicom/transferSyntax.ts';

/** How a state shows: green, amber, red or grey. */
export type Tone = 'ok' | 'warn' | 'fail' | 'wait';

/** What a job's state means for a person: a job that stored nothing has failed, whatever the row says. */
export function jobOutcome(j: Pick<SendJobRow, 'state' | 'success' | 'warning' | 'failed' | 'error'> & { commit?: Pick<SendJobCommit, 'counts'> | null }): { label: string; tone: Tone } {
  const stored = j.success + j.warning;
  if (j.state === 'failed' || (j.state === 'done' && j.failed > 0 && stored === 0)) return { label: 'failed', tone: 'fail' };
  if (j.state === 'done' && j.failed) return { label: `done, ${j.failed} failed`, tone: 'warn' };
  // Every store done, but an image the PACS would not commit (or never reported on) is not a green "done".
  if (j.state === 'done') return { label: 'done', tone: j.commit && j.commit.counts.failed + j.commit.counts.timedOut ? 'warn' : 'ok' };
  if (j.state === 'paused' && j.error) return { label: 'stopped', tone: 'fail' };
  return { label: j.state, tone: j.state === 'running' ? 'ok' : 'wait' };
}

/** Where an instance stands: stored → commitment requested → committed / failed / pending → deleted, in words. */
export function instanceStage(i: SendInstanceRow, job: Pick<SendJobRow, 'commit'>, sending: boolean): { text: string; tone: Tone } {
  if (sending) return { text: 'sending', tone: 'wait' };
  if (i.state === 'queued') return { text: 'queued', tone: 'wait' };
  if (i.state === 'failed') return { text: 'store failed', tone: 'fail' };
  const stored = i.state === 'warning' ? 'stored with warning' : 'stored';
  const c = i.commit;
  if (!job.commit?.request) return { text: stored, tone: i.state === 'warning' ? 'warn' : 'ok' };
  if (!c) return { text: `${stored} → commitment ${job.commit.state === 'failed' ? 'not requested' : 'to be requested'}`, tone: job.commit.state === 'failed' ? 'fail' : 'wait' };
  if (c.state === 'pending') return { text: `${stored} → commitment requested, pending`, tone: 'wait' };
  if (c.state === 'timed-out') return { text: `${stored} → no commitment report (timed out)`, tone: 'fail' };
  if (c.state === 'failed') return { text: `${stored} → commitment failed ${c.failureReason ?? ''}: ${c.failureMeaning ?? ''}`, tone: 'fail' };
  if (c.deleted) return { text: `${stored} → committed → deleted`, tone: 'ok' };
  if (c.keptReason) return { text: `${stored} → committed → kept: ${c.keptReason}`, tone: 'warn' };
  return { text: job.commit.deleteAfterCommit ? `${stored} → committed → deletion pending` : `${stored} → committed`, tone: 'ok' };
}

/** How an instance was transcoded, its transfer syntaxes by name (" (transcoded from JPEG-LS Lossless to Explicit VR
 * Little Endian)"), or '' when it went as it was. */
export function transcodeNote(i: Pick<SendInstanceRow, 'transcodedFrom' | 'transferSyntax'>): string {
  if (!i.transcodedFrom) return '';
  return ` (transcoded from ${transferSyntaxInfo(i.transcodedFrom).name}${i.transferSyntax ? ` to ${transferSyntaxInfo(i.transferSyntax).name}` : ''})`;
}
