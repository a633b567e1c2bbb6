// TLS for a listener: key material from PEM files or a PKCS#12 key store, optional mutual TLS,
// protocol versions and ciphers. Everything is read and checked at start, so a wrong path or
// password fails `WebSocketApplication.start` naming the file, never the first connection.
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { type SecureVersion, createSecureContext } from 'node:tls';
import { TlsConfigError } from '../errors';
import type { KeyMaterial } from './key-material';

/** `secureSocket` of a listener. */
export interface SecureSocketConfig {
  /** PEM certificate chain and private key files, or a PKCS#12 key store (the client's `key` has the same shape). */
  key: KeyMaterial;
  /** Ask clients for a certificate signed by the CA in `cert` (a PEM file). */
  mutualSsl?: { verifyClient: 'require' | 'optional'; cert: string };
  /** Allowed TLS versions, e.g. `{ versions: ['TLSv1.2', 'TLSv1.3'] }` (default: Node's, TLS 1.2 and up). */
  protocol?: { versions: string[] };
  /** An OpenSSL cipher list. */
  ciphers?: string;
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Reads and validates `secureSocket`, returning options for `https.createServer`. */
export function buildTlsOptions(listener: string, config: unknown): ServerOptions {
  if (config === null || typeof config !== 'object') {
    throw new TlsConfigError(listener, undefined, 'secureSocket must be an object with a key');
  }
  const secure = config as Partial<SecureSocketConfig>;
  const options: ServerOptions = { ...keyOptions(listener, secure.key) };
  if (secure.mutualSsl !== undefined) Object.assign(options, mutualOptions(listener, secure.mutualSsl));
  if (secure.protocol !== undefined) Object.assign(options, versionOptions(listener, secure.protocol));
  if (secure.ciphers !== undefined) {
    if (typeof secure.ciphers !== 'string') throw new TlsConfigError(listener, undefined, 'ciphers must be a string');
    options.ciphers = secure.ciphers;
  }
  try {
    createSecureContext(options); // a wrong password, a key that does not match, bad ciphers
  } catch (error) {
    const file = 'keyStore' in (secure.key as object) ? (secure.key as { keyStore: { path: string } }).keyStore.path : (secure.key as { keyFile: string }).keyFile;
    throw new TlsConfigError(listener, file, `cannot be used: ${(error as Error).message}`, { cause: error });
  }
  return options;
}

function keyOptions(listener: string, key: unknown): ServerOptions {
  if (key === null || typeof key !== 'object') {
    throw new TlsConfigError(listener, undefined, 'secureSocket.key must be { certFile, keyFile } or { keyStore: { path, password } }');
  }
  if ('keyStore' in key) {
    const store = (key as { keyStore: { path?: unknown; password?: unknown } }).keyStore;
    return { pfx: readFile(listener, store?.path, 'secureSocket.key.keyStore.path'), passphrase: optionalString(store?.password) };
  }
  const { certFile, keyFile, keyPassword } = key as { certFile?: unknown; keyFile?: unknown; keyPassword?: unknown };
  return {
    cert: readFile(listener, certFile, 'secureSocket.key.certFile'),
    key: readFile(listener, keyFile, 'secureSocket.key.keyFile'),
    passphrase: optionalString(keyPassword),
  };
}

function mutualOptions(listener: string, mutual: SecureSocketConfig['mutualSsl']): ServerOptions {
  if (mutual?.verifyClient !== 'require' && mutual?.verifyClient !== 'optional') {
    throw new TlsConfigError(listener, undefined, "mutualSsl.verifyClient must be 'require' or 'optional'");
  }
  return {
    ca: readFile(listener, mutual.cert, 'secureSocket.mutualSsl.cert'),
    requestCert: true,
    rejectUnauthorized: mutual.verifyClient === 'require',
  };
}

function versionOptions(listener: string, protocol: { versions?: unknown }): ServerOptions {
  const versions = protocol?.versions;
  if (!Array.isArray(versions) || versions.length === 0 || !versions.every((v) => VERSIONS.includes(v))) {
    throw new TlsConfigError(listener, undefined, `protocol.versions must list some of ${VERSIONS.join(', ')}`);
  }
  const sorted = [...versions].sort((a, b) => VERSIONS.indexOf(a) - VERSIONS.indexOf(b));
  return { minVersion: sorted[0], maxVersion: sorted[sorted.length - 1] };
}

function readFile(listener: string, path: unknown, field: string): Buffer {
  if (typeof path !== 'string' || path === '') throw new TlsConfigError(listener, undefined, `${field} must be a file path`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsConfigError(listener, path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
