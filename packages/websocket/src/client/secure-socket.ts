// TLS settings of a `wss` client: which certificates to trust, the client's own certificate
// for mutual TLS, and (unsafely) no verification. Files are read and checked once, when the
// client is configured, so a wrong path or password fails at `connect` with the option named.
import { readFileSync } from 'node:fs';
import { type SecureContextOptions, createSecureContext } from 'node:tls';
import { ClientConfigError } from './client-errors';
import type { KeyMaterial, PemKeyPair, Pkcs12File } from '../security/key-material';
import { readPkcs12Certificates } from './pkcs12';

export type { KeyMaterial, PemKeyPair, Pkcs12File } from '../security/key-material';

/**
 * TLS settings of `wss://` connections. Without any, the server's certificate is checked
 * against Node's bundled public CAs.
 *
 * @example
 * ```ts
 * await WebSocketClient.connect('wss://chat.internal:9443/ws', {
 *   secureSocket: { cert: '/etc/duet/ca.pem', key: { certFile: 'client.pem', keyFile: 'client.key' } },
 * });
 * ```
 */
export interface ClientSecureSocket {
  /**
   * **UNSAFE when `false`.** `false` accepts ANY server certificate — expired, self-signed,
   * issued for another host — so anyone on the network path can read and change the traffic.
   * Meant only for a throwaway local test; never in production. Default `true`.
   */
  enable?: boolean;
  /** A PEM file of the CA certificate(s) to trust, instead of the public CAs. */
  cert?: string;
  /** A PKCS#12 file of CA certificates to trust, instead of the public CAs (may be given with `cert`). */
  trustStore?: Pkcs12File;
  /** The client's certificate and key for mutual TLS: PEM files, or `{ keyStore: { path, password } }`, as on a listener. */
  key?: KeyMaterial;
}

/** Validates `secureSocket` and loads its files into options for Node's TLS. */
export function resolveSecureSocket(raw: unknown): Readonly<SecureContextOptions & { rejectUnauthorized: boolean }> {
  if (raw === undefined) return Object.freeze({ rejectUnauthorized: true });
  if (raw === null || typeof raw !== 'object') throw new ClientConfigError('secureSocket', 'must be an object');
  const config = raw as ClientSecureSocket;
  if (config.enable !== undefined && typeof config.enable !== 'boolean') {
    throw new ClientConfigError('secureSocket.enable', 'must be true or false');
  }
  const verify = config.enable !== false;
  if (!verify && (config.cert !== undefined || config.trustStore !== undefined)) {
    throw new ClientConfigError('secureSocket.enable', 'is false, so the cert and trustStore given would be ignored');
  }
  const options: SecureContextOptions & { rejectUnauthorized: boolean } = { rejectUnauthorized: verify };
  const trusted: string[] = [];
  if (config.cert !== undefined) {
    const pem = readText('secureSocket.cert', config.cert);
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ClientConfigError('secureSocket.cert', `'${config.cert}' holds no PEM certificate`);
    }
    trusted.push(pem);
  }
  if (config.trustStore !== undefined) {
    const { path, password } = pkcs12File('secureSocket.trustStore', config.trustStore);
    try {
      trusted.push(...readPkcs12Certificates(readBytes('secureSocket.trustStore.path', path), password));
    } catch (error) {
      if (error instanceof ClientConfigError) throw error;
      throw new ClientConfigError('secureSocket.trustStore', `'${path}' cannot be used: ${(error as Error).message}`);
    }
  }
  if (trusted.length > 0) options.ca = trusted;
  if (config.key !== undefined) loadKey(config.key, options);
  try {
    createSecureContext(options); // a wrong key password or a mismatched pair fails here, not at connect
  } catch (error) {
    throw new ClientConfigError('secureSocket', `is not usable: ${(error as Error).message}`);
  }
  return Object.freeze(options);
}

function loadKey(key: unknown, options: SecureContextOptions): void {
  if (key === null || typeof key !== 'object') {
    throw new ClientConfigError('secureSocket.key', KEY_SHAPES);
  }
  if ('path' in key) {
    // The shape before keys were spelled as on a listener: say what it is now.
    throw new ClientConfigError('secureSocket.key', 'takes a PKCS#12 store as { keyStore: { path, password } }, as a listener does');
  }
  if ('keyStore' in key) {
    const { path, password } = pkcs12File('secureSocket.key.keyStore', (key as { keyStore: unknown }).keyStore);
    options.pfx = readBytes('secureSocket.key.keyStore.path', path);
    options.passphrase = password;
    return;
  }
  const { certFile, keyFile, keyPassword } = key as Partial<PemKeyPair>;
  if (typeof certFile !== 'string' || typeof keyFile !== 'string') {
    throw new ClientConfigError('secureSocket.key', KEY_SHAPES);
  }
  if (keyPassword !== undefined && typeof keyPassword !== 'string') {
    throw new ClientConfigError('secureSocket.key.keyPassword', 'must be a string');
  }
  options.cert = readText('secureSocket.key.certFile', certFile);
  options.key = readText('secureSocket.key.keyFile', keyFile);
  if (keyPassword !== undefined) options.passphrase = keyPassword;
}

const KEY_SHAPES = 'must be { certFile, keyFile, keyPassword? } or { keyStore: { path, password } }';

function pkcs12File(field: string, value: unknown): Required<Pkcs12File> {
  const { path, password } = (value ?? {}) as Partial<Pkcs12File>;
  if (typeof path !== 'string' || typeof password !== 'string') {
    throw new ClientConfigError(field, 'must be { path, password } of a PKCS#12 file');
  }
  return { path, password };
}

function readBytes(field: string, path: unknown): Buffer {
  if (typeof path !== 'string' || path === '') throw new ClientConfigError(field, 'must be a file path');
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ClientConfigError(field, `'${path}' cannot be read: ${(error as Error).message}`);
  }
}

function readText(field: string, path: unknown): string {
  return readBytes(field, path).toString('utf8');
}
