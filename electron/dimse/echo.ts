/**
 * C-ECHO as one call: connect, echo, release (PS3.4 Annex A).
 */
import { Association, VERIFICATION, type Timeouts } from './association.ts';
import type { TlsCredentials } from './tls.ts';
import { IMPLICIT_LE, EXPLICIT_LE } from '../dicom/transferSyntax.ts';
import type { StatusInfo } from './command.ts';

/** The outcome of a C-ECHO: the status, the time it took and what the peer says it is. */
export interface EchoResult {
  status: StatusInfo;
  ms: number;
  peerImplementation: string;
}

/** Verifies that `calledAe` at host:port answers (throws the association's typed errors). */
export async function echo(opts: { host: string; port: number; calledAe: string; callingAe: string; timeouts?: Partial<Timeouts>; tls?: TlsCredentials }): Promise<EchoResult> {
  const started = performance.now();
  const assoc = await Association.connect({ ...opts, contexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] }] });
  try {
    const rsp = await assoc.echo();
    return { status: rsp.status, ms: Math.round(performance.now() - started), peerImplementation: assoc.peerImplementation };
  } finally {
    if (assoc.isOpen) await assoc.release();
  }
}
