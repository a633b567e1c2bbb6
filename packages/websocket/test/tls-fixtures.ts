// Throw-away TLS material for tests, made with openssl in a temporary folder: a CA, a server
// certificate for localhost/127.0.0.1 signed by it, a client certificate, a PKCS#12 bundle and
// an untrusted self-signed certificate. Nothing here is ever committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TlsFixtures {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  serverP12: string;
  p12Password: string;
  clientCert: string;
  clientKey: string;
  untrustedCert: string;
  untrustedKey: string;
  remove(): void;
}

export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(path.join(tmpdir(), 'duet-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const subjectKey = (name: string, subject: string) => {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Duet Test CA', '-keyout', file('ca.key'), '-out', file('ca.crt'));
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  subjectKey('server', '/CN=localhost');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('server.ext'), '-out', file('server.crt'));
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  subjectKey('client', '/CN=duet-client');
  openssl('x509', '-req', '-in', file('client.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('client.ext'), '-out', file('client.crt'));
  openssl('pkcs12', '-export', '-in', file('server.crt'), '-inkey', file('server.key'), '-certfile', file('ca.crt'), '-out', file('server.p12'), '-passout', 'pass:duet-test');
  writeFileSync(file('untrusted.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', file('untrusted.key'), '-out', file('untrusted.crt'));
  return {
    dir,
    caCert: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    serverP12: file('server.p12'),
    p12Password: 'duet-test',
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    untrustedCert: file('untrusted.crt'),
    untrustedKey: file('untrusted.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
