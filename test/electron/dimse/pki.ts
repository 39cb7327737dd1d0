/**
 * A throwaway PKI for DICOM over TLS tests, made with the openssl command: a CA, a server
 * certificate for 127.0.0.1 and a client certificate it signed, and a second CA that signed only a
 * stranger's certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The PEM files' paths. */
export interface Pki {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate for 127.0.0.1 signed by `otherCa`: well formed, from a CA nobody trusts. */
  strangerCert: string;
  strangerKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate it signed, and a CA nobody uses. */
export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`);
  ca('ca');
  ca('other-ca');
  const leaf = (name: string, ext: string, signer = 'ca') => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  // The peer's: a PACS is server to our calls and client when it calls us back.
  leaf('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  // Ours: presented as a client when we call, and as a server when a node calls our accepter over TLS.
  leaf('client', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=clientAuth,serverAuth\n');
  leaf('stranger', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=clientAuth,serverAuth\n', 'other-ca');
  const f = (n: string) => join(dir, n);
  return {
    ca: f('ca.pem'),
    otherCa: f('other-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    strangerCert: f('stranger.pem'),
    strangerKey: f('stranger.key'),
  };
}
