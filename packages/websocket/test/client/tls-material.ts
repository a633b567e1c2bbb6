// TLS material for the client's wss tests, made with `openssl` into a fresh temporary folder
// at run time (nothing is committed): a CA, a server certificate it signed for 127.0.0.1, a
// self-signed certificate nobody trusts, a client certificate for mutual TLS, and PKCS#12
// files of the CA (trust store) and of the client key (keystore).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsMaterial {
  readonly dir: string;
  readonly caFile: string;
  readonly trustStoreFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly clientKeyStoreFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly password: string;
  /** PEM texts for the servers. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly untrustedCert: string;
  readonly untrustedKey: string;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'duet-client-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const password = 'trust-me';

  openssl('req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Duet Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const sign = (name: string, subject: string, extensions: string) => {
    writeFileSync(at(`${name}.ext`), extensions);
    openssl('req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  };
  sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  sign('client', '/CN=duet-test-client', 'extendedKeyUsage=clientAuth\n');
  openssl('req', '-x509', ...EC_KEY, '-keyout', 'untrusted.key', '-out', 'untrusted.pem', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
  openssl('pkcs12', '-export', '-nokeys', '-in', 'ca.pem', '-out', 'truststore.p12', '-passout', `pass:${password}`);
  openssl('pkcs12', '-export', '-inkey', 'client.key', '-in', 'client.pem', '-out', 'client.p12', '-passout', `pass:${password}`);

  const text = (name: string) => readFileSync(at(name), 'utf8');
  return {
    dir,
    caFile: at('ca.pem'),
    trustStoreFile: at('truststore.p12'),
    clientCertFile: at('client.pem'),
    clientKeyFile: at('client.key'),
    clientKeyStoreFile: at('client.p12'),
    serverCertFile: at('server.pem'),
    serverKeyFile: at('server.key'),
    password,
    ca: text('ca.pem'),
    serverCert: text('server.pem'),
    serverKey: text('server.key'),
    untrustedCert: text('untrusted.pem'),
    untrustedKey: text('untrusted.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
