/**
 * DICOM over TLS (PS3.15 Annex B.9, the BCP 195 TLS Secure Transport Connection Profile): our
 * credentials, read from our TLS files for both directions, and the requestor's side: TLS 1.2 or
 * later, the peer's certificate verified against the CAs we trust, and our own certificate
 * presented, since DICOM peers authenticate both ends (DCMTK's storescp asks for a client
 * certificate by default; IHE ATNA requires one).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { TlsFiles } from '../../shared/contract/nodes.ts';
import { DimseError } from './errors.ts';

/**
 * Our TLS files' contents, read once per job or echo: what `Association.connect` presents and
 * trusts, and what our server (server.ts) presents to callers and trusts them by.
 */
export type TlsCredentials = Pick<SecureContextOptions, 'cert' | 'key' | 'ca' | 'minVersion'>;

/** Raised when our TLS settings cannot be used: a file missing or unreadable. */
export class TlsSetupError extends DimseError {
  override name = 'TlsSetupError';
}

function readPem(path: string, what: string): Buffer {
  try {
    const pem = readFileSync(path);
    if (!pem.includes('-----BEGIN ')) throw new Error('it is not a PEM file');
    return pem;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TlsSetupError(`TLS: cannot read ${what} ${path} (${why}); set it in Settings → Our AE → TLS, or with --tls-cert, --tls-key and --tls-ca`);
  }
}

/**
 * Reads our certificate, its key and the trusted CAs. Without a CA file the system's CAs are
 * trusted. Without a certificate and key none is presented (peers that require one refuse us,
 * which `describeTlsError` says).
 */
export function readTlsCredentials(files: TlsFiles): TlsCredentials {
  if (!!files.certificateFile !== !!files.keyFile) {
    throw new TlsSetupError('TLS: our certificate and its private key go together; set both, or neither');
  }
  return {
    // BCP 195 (RFC 9325 §3.1.1): no TLS before 1.2.
    minVersion: 'TLSv1.2',
    ...(files.certificateFile ? { cert: readPem(files.certificateFile, 'our certificate'), key: readPem(files.keyFile, 'our private key') } : {}),
    ...(files.caFile ? { ca: readPem(files.caFile, 'the trusted CA certificates') } : {}),
  };
}

/** The server name to check the certificate against: SNI is for names only (RFC 6066 §3). */
export function serverName(host: string): string | undefined {
  return isIP(host) ? undefined : host;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A socket error in words a user can act on; null when it is not about TLS. */
export function describeTlsError(err: NodeJS.ErrnoException & { reason?: string }): string | null {
  const code = err.code ?? '';
  if (UNTRUSTED.has(code)) return `TLS: the peer's certificate is not signed by a CA we trust (${code}); add its CA to the trusted CA certificates in Settings → Our AE → TLS`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `TLS: the peer's certificate is not valid now (${code}); ask its administrator for a current one`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the peer's certificate is not for this host (${err.reason ?? code}); connect by a name or address the certificate lists`;
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE/.test(code)) {
    return `TLS: the peer refused our certificate or the handshake (${code}); set a certificate it trusts in Settings → Our AE → TLS`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return `TLS: the peer does not speak TLS on this port (${code}); is it a plain DICOM port?`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `TLS: ${err.message} (${code})`;
  return null;
}
