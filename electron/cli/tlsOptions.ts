/**
 * `--tls [--tls-cert <pem> --tls-key <pem>] [--tls-ca <pem>]` for the commands that open
 * associations (echo, send): DICOM over TLS with our saved TLS files (Settings → Our AE), each
 * replaced by the option given. A saved node marked TLS is reached over TLS without `--tls`.
 */
import { resolve } from 'node:path';
import type { TlsFiles } from '../../shared/contract/nodes.ts';
import type { Args } from './args.ts';
import { value } from './args.ts';

export const TLS_USAGE = '[--tls] [--tls-cert <pem> --tls-key <pem>] [--tls-ca <pem>]';
export const TLS_VALUED = ['tls-cert', 'tls-key', 'tls-ca'];

/** Our TLS files for this call, or null for plain TCP. */
export function tlsFilesFor(args: Args, saved: TlsFiles, nodeIsTls: boolean): TlsFiles | null {
  const given = (name: string) => {
    const v = value(args, name);
    return v === undefined ? undefined : v && resolve(v);
  };
  const cert = given('tls-cert');
  const key = given('tls-key');
  const ca = given('tls-ca');
  const asked = args.flags.has('tls') || cert !== undefined || key !== undefined || ca !== undefined;
  if (!asked && !nodeIsTls) return null;
  return { certificateFile: cert ?? saved.certificateFile, keyFile: key ?? saved.keyFile, caFile: ca ?? saved.caFile };
}
