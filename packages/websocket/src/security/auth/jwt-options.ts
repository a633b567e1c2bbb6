// The options of JwtAuthenticator and their validation: one key source, algorithms that the
// key can verify, and well-formed claim checks, all decided before the first token arrives.
import { KeyObject, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What {@link JwtAuthenticator} verifies tokens with, and which claims it checks. */
export interface JwtAuthenticatorOptions {
  /**
   * An HMAC secret (HS256/384/512), at least as long as the hash (32 bytes for HS256,
   * RFC 7518 §3.2). A string is taken as UTF-8.
   */
  readonly secret?: string | Uint8Array;
  /**
   * A public key (RS*, PS*, ES*, EdDSA): PEM text of an SPKI public key or an X.509
   * certificate, a public `KeyObject`, or the path of such a PEM file (any string without
   * `-----BEGIN`), read once when the authenticator is built.
   */
  readonly publicKey?: string | KeyObject;
  /**
   * The URL of a JWK set, fetched on first use and when a token names a key not yet known.
   * Must be `https:`, or `http:` to a loopback address (127.0.0.1, ::1, localhost).
   */
  readonly jwksUrl?: string | URL;
  /** Accepted `iss` value(s); when set, the claim is required. */
  readonly issuer?: string | readonly string[];
  /** Accepted `aud` value(s); when set, the claim must name one of them. */
  readonly audience?: string | readonly string[];
  /** Accepted `alg` values (default: every algorithm the key can verify). */
  readonly algorithms?: readonly string[];
  /** Seconds of leeway when checking `exp`, `nbf` and `iat` (default 0). */
  readonly clockTolerance?: number;
  /** The claim holding the scopes, a space-separated string or an array (default `'scope'`). */
  readonly scopeClaim?: string;
  /**
   * A query parameter that carries the token when there is no `Authorization: Bearer` header,
   * for browsers, which cannot set headers on a WebSocket. URLs end up in logs and histories:
   * prefer short-lived tokens there.
   */
  readonly queryParam?: string;
}

/** @internal Validated options: the key read and parsed, every default applied. */
export interface CheckedJwtOptions {
  readonly secret?: Uint8Array;
  readonly publicKey?: KeyObject;
  readonly jwksUrl?: URL;
  readonly issuer?: string | readonly string[];
  readonly audience?: string | readonly string[];
  readonly algorithms: readonly string[];
  readonly clockTolerance: number;
  readonly scopeClaim: string;
  readonly queryParam?: string;
}

/** The default claim of the scopes. */
export const DEFAULT_SCOPE_CLAIM = 'scope';

const FIELDS = new Set(['secret', 'publicKey', 'jwksUrl', 'issuer', 'audience', 'algorithms', 'clockTolerance', 'scopeClaim', 'queryParam']);
// Minimum secret length per HMAC algorithm: the hash size (RFC 7518 §3.2).
const HMAC_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_BY_CURVE: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * @internal Checks raw JWT options: the checked options (which are valid options themselves,
 * so checking them again reads no file), or the problem as a phrase naming the field.
 */
export function checkJwtOptions(value: unknown): CheckedJwtOptions | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'options must be an object';
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).find((field) => !FIELDS.has(field));
  if (unknown !== undefined) return `has an unknown field '${unknown}'`;
  const sources = ['secret', 'publicKey', 'jwksUrl'].filter((field) => raw[field] !== undefined);
  if (sources.length !== 1) {
    return sources.length === 0
      ? 'needs one of secret, publicKey or jwksUrl'
      : `must have only one of secret, publicKey or jwksUrl, got ${sources.join(' and ')}`;
  }
  const key = checkKey(raw);
  if (typeof key === 'string') return key;
  const algorithms = checkAlgorithms(raw.algorithms, key.allowed, key.secret);
  if (typeof algorithms === 'string') return algorithms;
  const issuer = checkStrings('issuer', raw.issuer);
  if (typeof issuer === 'object' && 'problem' in issuer) return issuer.problem;
  const audience = checkStrings('audience', raw.audience);
  if (typeof audience === 'object' && 'problem' in audience) return audience.problem;
  const { clockTolerance = 0, scopeClaim = DEFAULT_SCOPE_CLAIM, queryParam } = raw;
  if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0) {
    return `clockTolerance must be a number of seconds, 0 or more, got ${String(clockTolerance)}`;
  }
  // It is named in error_description, a quoted-string: printable ASCII without quotes or backslashes.
  if (typeof scopeClaim !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scopeClaim)) {
    return 'scopeClaim must be a claim name (printable ASCII, no spaces, quotes or backslashes)';
  }
  if (queryParam !== undefined && (typeof queryParam !== 'string' || queryParam === '')) {
    return 'queryParam must be a non-empty string';
  }
  return Object.freeze({
    ...(key.secret && { secret: key.secret }),
    ...(key.publicKey && { publicKey: key.publicKey }),
    ...(key.jwksUrl && { jwksUrl: key.jwksUrl }),
    ...(issuer !== undefined && { issuer }),
    ...(audience !== undefined && { audience }),
    algorithms,
    clockTolerance,
    scopeClaim,
    ...(queryParam !== undefined && { queryParam }),
  });
}

interface CheckedKey {
  readonly secret?: Uint8Array;
  readonly publicKey?: KeyObject;
  readonly jwksUrl?: URL;
  /** The algorithms this key can verify. */
  readonly allowed: readonly string[];
}

function checkKey(raw: Record<string, unknown>): CheckedKey | string {
  if (raw.secret !== undefined) {
    const { secret } = raw;
    if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) return 'secret must be a string or a Uint8Array';
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
    if (bytes.length < HMAC_BYTES.HS256) {
      return `secret must be at least 32 bytes for HS256 (RFC 7518 §3.2), got ${bytes.length}`;
    }
    return { secret: bytes, allowed: Object.keys(HMAC_BYTES) };
  }
  if (raw.publicKey !== undefined) {
    const publicKey = checkPublicKey(raw.publicKey);
    if (typeof publicKey === 'string') return publicKey;
    const allowed = algorithmsOf(publicKey);
    if (allowed.length === 0) {
      return `publicKey is a ${String(publicKey.asymmetricKeyType)} key, which no supported JWT algorithm verifies`;
    }
    return { publicKey, allowed };
  }
  const jwksUrl = checkJwksUrl(raw.jwksUrl);
  return typeof jwksUrl === 'string' ? jwksUrl : { jwksUrl, allowed: ASYMMETRIC };
}

function checkPublicKey(value: unknown): KeyObject | string {
  if (value instanceof KeyObject) {
    return value.type === 'public' ? value : `publicKey must be a public KeyObject, got a ${value.type} one`;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return 'publicKey must be PEM text, a public KeyObject or the path of a PEM file';
  }
  let pem = value;
  let source = 'publicKey';
  if (!value.includes('-----BEGIN')) {
    source = `publicKey file ${value}`;
    try {
      pem = readFileSync(value, 'utf8');
    } catch (error) {
      return `${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
  }
  // createPublicKey would quietly derive the public half of a private key; refuse the secret instead.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return `${source} holds a private key; give the public key`;
  try {
    return createPublicKey(pem);
  } catch {
    return `${source} is not a PEM public key or certificate`;
  }
}

function algorithmsOf(key: KeyObject): readonly string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA;
    case 'rsa-pss':
      return RSA.filter((alg) => alg.startsWith('PS'));
    case 'ec': {
      const alg = EC_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg === undefined ? [] : [alg];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

function checkJwksUrl(value: unknown): URL | string {
  let url: URL;
  try {
    url = value instanceof URL ? new URL(value.href) : new URL(String(value));
  } catch {
    return `jwksUrl is not a URL: ${JSON.stringify(String(value))}`;
  }
  if (typeof value !== 'string' && !(value instanceof URL)) return 'jwksUrl must be a string or a URL';
  // Keys fetched in clear text could be swapped by anyone on the path; loopback is exempt for local setups.
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  return `jwksUrl must be https: (http: only to a loopback address), got ${url.href}`;
}

function checkAlgorithms(value: unknown, allowed: readonly string[], secret: Uint8Array | undefined): readonly string[] | string {
  // A secret's default leaves out the HMACs it is too short for, rather than failing.
  const fits = (alg: string) => secret === undefined || secret.length >= HMAC_BYTES[alg];
  if (value === undefined) return Object.freeze(allowed.filter(fits));
  if (!Array.isArray(value) || value.length === 0) return 'algorithms must be a non-empty array of JWS algorithm names';
  for (const alg of value) {
    if (typeof alg !== 'string' || !allowed.includes(alg)) {
      return `algorithms lists ${JSON.stringify(alg)}, which the configured key cannot verify (it can: ${allowed.join(', ')})`;
    }
    if (!fits(alg)) return `algorithms lists ${alg}, whose secret must be at least ${HMAC_BYTES[alg]} bytes (RFC 7518 §3.2)`;
  }
  return Object.freeze([...new Set(value as string[])]);
}

function checkStrings(field: string, value: unknown): string | readonly string[] | undefined | { problem: string } {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '')) {
    return Object.freeze([...(value as string[])]);
  }
  return { problem: `${field} must be a non-empty string or a non-empty array of them` };
}
