/**
 * Files that share a SOP Instance UID (docs/data-safety.md, invariant 1): a PACS holds one
 * object per SOP Instance UID, so a file is deleted because its UID was committed only when every
 * other file stored there under that UID provably holds the same bytes.
 *
 * In one request (`planSameUid`): an N-ACTION lists each SOP Instance once (PS3.4 J.3.2, Referenced
 * SOP Sequence), so the k-th file of a UID goes into the k-th layer of transactions: a job without
 * duplicates makes one layer, as before; two files of one UID make two transactions, each asking
 * about the UID once and each reported on its own. Every file of a shared UID is hashed (only while
 * it still matches the stamp taken as it was sent, so the hash is of the bytes sent): all the same,
 * each is committed and deleted like any file; different, or one no longer provably the bytes sent,
 * each carries a keep reason from the start and none is ever deleted, whatever the reports say.
 *
 * At deletion (`sameUidProblem`), across jobs: a committed file is kept when the library holds a
 * file of its UID with other content (files.content_key), or when any send job stored a file under
 * its UID at the same node (same AE title, or same port and host) that is not provably the same bytes — the same stamp, or
 * a SHA-256 proved by a commitment request or a deletion, or the file itself, hashed now while it
 * still matches its stamp. Otherwise which content the PACS holds is unknown, and the file stays.
 */
import type { FileHandle } from 'node:fs/promises';
import { readHeaderFromFd } from '../dicom/header.ts';
import { summarize } from '../library/summary.ts';
import { hashOfSent } from './hash.ts';
import { CHANGED_WHILE_SENT, isRacy } from '../fileStamp.ts';
import type { CommitStore, CommitTransaction, DeletionCandidate, NewCommitInstance } from '../store/commit.ts';

/** The hash of the bytes an instance was sent as, or null when they can no longer be proved. */
async function sentHash(i: NewCommitInstance): Promise<string | null> {
  if (i.stamp) return hashOfSent(i.path, i.stamp);
  return /^[0-9a-f]{64}$/.test(i.sha256) ? i.sha256 : null; // recorded before stamps: hashed after the stores
}

/**
 * Splits a request's instances into layers whose transactions list each SOP Instance UID once (the
 * k-th file of a UID in layer k), hashing the files that share a UID: identical ones get the hash
 * recorded (a later deletion compares with it), differing ones a keep reason in words.
 */
export async function planSameUid(instances: readonly NewCommitInstance[]): Promise<NewCommitInstance[][]> {
  const byUid = new Map<string, NewCommitInstance[]>();
  for (const i of instances) byUid.set(i.SOPInstanceUID, [...(byUid.get(i.SOPInstanceUID) ?? []), i]);
  const layers: NewCommitInstance[][] = [];
  for (const group of byUid.values()) {
    const planned = group.length === 1 ? group : await judgeGroup(group);
    planned.forEach((i, k) => (layers[k] ??= []).push(i));
  }
  return layers;
}

/** The files of one UID with their hashes, or each with the reason none of them may be deleted. */
async function judgeGroup(group: NewCommitInstance[]): Promise<NewCommitInstance[]> {
  const hashes = await Promise.all(group.map(sentHash));
  if (hashes[0] !== null && hashes.every((h) => h === hashes[0])) return group.map((i) => ({ ...i, sha256: hashes[0]! }));
  return group.map((i, k) => {
    const other = group[k === 0 ? 1 : 0].path;
    const unknown = group.filter((_, j) => hashes[j] === null && j !== k).map((o) => o.path);
    return {
      ...i,
      keepReason: unknown.length
        ? `another file with the same SOP Instance UID (${unknown[0]}) was sent and has changed since, so which content the PACS holds is unknown`
        : hashes[k] === null
          ? `it has changed since it was sent, and another file with the same SOP Instance UID (${other}) was sent too`
          : `another file with the same SOP Instance UID but different content (${group.find((_, j) => hashes[j] !== hashes[k])!.path}) was sent; the PACS holds only one of them`,
    };
  });
}

/**
 * Why a committed file must be kept because of another file under its SOP Instance UID ('' when
 * none): the library holds one with other content, or the transaction's node was sent one that is
 * not provably the same bytes. `fh` is the checked file, `sha256` its content.
 */
export async function sameUidProblem(store: CommitStore, c: DeletionCandidate, t: CommitTransaction, fh: FileHandle, size: number, sha256: string): Promise<string> {
  const copies = store.libraryCopies(c.SOPInstanceUID, c.path);
  if (copies.length) {
    let key: string | null = null;
    try {
      key = summarize(readHeaderFromFd(fh.fd, size)).contentKey ?? null;
    } catch {
      // not readable as DICOM now: it cannot be shown to agree with the library's files
    }
    const differing = copies.find((f) => f.contentKey !== key);
    if (differing) return `the library holds another file with the same SOP Instance UID but different content (${differing.path}); the PACS holds only one of them`;
  }
  for (const sent of store.sentUnderUid(c.SOPInstanceUID, t.node, c.sendInstanceId)) {
    if (sent.stamp && sent.stamp === c.stamp) continue; // the very bytes (the same file, or a hard link of it)
    const theirs = sent.sha256 ?? (sent.stamp ? await hashOfSent(sent.path, sent.stamp) : null);
    if (theirs === sha256) continue;
    const ae = t.node.aeTitle;
    if (sent.path === c.path) {
      // This very path, sent before: its earlier bytes are what is in question, not another file.
      return theirs === null
        ? `${ae} was sent this file before, and the bytes sent then cannot be proved to be these (${unprovable(sent.stamp, 'it')}), so which content ${ae} holds is unknown`
        : `${ae} was sent this file before with other content (it has changed since); ${ae} holds only one of them`;
    }
    return theirs === null
      ? `${ae} was also sent another file with the same SOP Instance UID (${sent.path}) that ${unprovable(sent.stamp, '')}, so which content it holds is unknown`
      : `${ae} was also sent another file with the same SOP Instance UID but different content (${sent.path}); it holds only one of them`;
  }
  return '';
}

/** Why the bytes of an earlier send (its stamp, fileStamp.ts) can no longer be proved, in words; `subject` starts the clause. */
function unprovable(stamp: string | null, subject: string): string {
  const lead = subject ? `${subject} ` : '';
  if (stamp === CHANGED_WHILE_SENT) return `${lead}changed while it was being sent`;
  if (stamp && isRacy(stamp)) return `${lead}was written to moments before it was sent`;
  return `${lead}has changed since`;
}
