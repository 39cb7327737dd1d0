/**
 * C-ECHO as one call: connect, echo, release (PS3.4 Annex A); and as an outcome for people
 * ("Test connection" in Settings, `courier echo`).
 */
import { Association, VERIFICATION, type Timeouts } from './association.ts';
import { readTlsCredentials, type TlsCredentials } from './tls.ts';
import { IMPLICIT_LE, EXPLICIT_LE } from '../dicom/transferSyntax.ts';
import type { StatusInfo } from './command.ts';
import type { EchoOutcome, TlsFiles } from '../../shared/contract/nodes.ts';

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

/** C-ECHO as an outcome for people: never throws for network failures. */
export async function echoOutcome(target: { aeTitle: string; host: string; port: number }, callingAe: string, tlsFiles?: TlsFiles): Promise<EchoOutcome> {
  const started = performance.now();
  try {
    const tls = tlsFiles ? readTlsCredentials(tlsFiles) : undefined;
    const r = await echo({ host: target.host, port: target.port, calledAe: target.aeTitle, callingAe, tls, timeouts: { connect: 5000, associate: 10_000, response: 10_000 } });
    return { ok: r.status.category === 'success', message: `${r.status.hex} ${r.status.meaning}${r.peerImplementation ? ` (${r.peerImplementation})` : ''}`, ms: r.ms };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err), ms: Math.round(performance.now() - started) };
  }
}
