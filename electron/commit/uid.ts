/**
 * Transaction UIDs: "2.25." followed by the decimal value of a random UUID (PS3.5 Annex B.2).
 */
import { randomUUID } from 'node:crypto';

/** A fresh UID in 2.25 form (at most 44 characters). */
export function newTransactionUid(): string {
  return '2.25.' + BigInt('0x' + randomUUID().replace(/-/g, '')).toString(10);
}
