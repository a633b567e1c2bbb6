// Bearer tokens (RFC 6750) that are JWTs, verified with `jose` against a shared secret, a
// public key, or a remote JWK set. Options are checked once, at construction.
import type { KeyObject } from 'node:crypto';
import { type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, createRemoteJWKSet, jwtVerify } from 'jose';
import { AuthenticationError, AuthenticatorError, InvalidArgumentError } from '../../errors';
import type { Principal, UpgradeRequest } from '../../upgrade-request';
import type { Authenticator } from './authenticator';
import { type CheckedJwtOptions, type JwtAuthenticatorOptions, checkJwtOptions } from './jwt-options';

// RFC 6750 §2.1: the characters of a b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Accepts a valid JWT from `Authorization: Bearer …` (or from `queryParam`). The principal's
 * name is the `sub` claim (required), its scopes those of `scopeClaim`, its `claims` the payload,
 * its `expiresAt` the `exp` claim plus `clockTolerance` (when the token has one).
 *
 * No token: `undefined` (another authenticator may accept). A malformed, expired, not yet
 * valid, wrongly signed token, one issued in the future (`iat` past now + `clockTolerance`),
 * or one with the wrong issuer or audience: `AuthenticationError`
 * (401) with `WWW-Authenticate: Bearer error="invalid_token", error_description="…"`.
 * When the JWK set cannot be fetched, the error is not the client's: it is rethrown as an
 * `Error` (the listener answers 500 and logs it).
 *
 * @example
 * ```ts
 * new JwtAuthenticator({ jwksUrl: 'https://login.example.com/.well-known/jwks.json', audience: 'chat' });
 * ```
 */
export class JwtAuthenticator implements Authenticator {
  readonly scheme = 'Bearer';
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly options: CheckedJwtOptions;
  private readonly verifyOptions: JWTVerifyOptions;

  /** @throws InvalidArgumentError when the options are invalid or a key file cannot be read. */
  constructor(options: JwtAuthenticatorOptions) {
    const checked = checkJwtOptions(options);
    if (typeof checked === 'string') throw new InvalidArgumentError(`JwtAuthenticator: ${checked}`);
    this.options = checked;
    // jose's remote set fetches lazily, caches, and refetches (at most every 30 s) for unknown key ids.
    this.key = checked.secret ?? checked.publicKey ?? createRemoteJWKSet(checked.jwksUrl as URL);
    this.verifyOptions = {
      algorithms: [...checked.algorithms],
      clockTolerance: checked.clockTolerance,
      requiredClaims: ['sub'],
      ...(checked.issuer !== undefined && { issuer: copy(checked.issuer) }),
      ...(checked.audience !== undefined && { audience: copy(checked.audience) }),
    };
  }

  async authenticate(request: UpgradeRequest): Promise<Principal | undefined> {
    const token = this.tokenOf(request);
    if (token === undefined) return undefined;
    if (token === 'malformed') throw invalidToken('The bearer token is malformed');
    let payload: JWTPayload;
    try {
      const { key, verifyOptions: verify } = this;
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, verify) : await jwtVerify(token, key, verify));
    } catch (error) {
      const description = describeRejection(error);
      if (description !== undefined) throw invalidToken(description);
      const url = this.options.jwksUrl === undefined ? '' : ` from ${this.options.jwksUrl.href}`;
      throw new AuthenticatorError('JwtAuthenticator', `JwtAuthenticator could not verify a token with the keys${url}: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
    // jose checks iat only against a maxTokenAge; a token from the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + this.options.clockTolerance) {
      throw invalidToken('The token was issued in the future');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw invalidToken("The token's sub claim is malformed");
    const scopes = scopesOf(payload[this.options.scopeClaim]);
    if (scopes === undefined) throw invalidToken(`The token's ${this.options.scopeClaim} claim is malformed`);
    // The token is accepted until exp plus the tolerance, and so is the connection it opens.
    const expiresAt = typeof payload.exp === 'number' ? new Date((payload.exp + this.options.clockTolerance) * 1000) : undefined;
    return { name: payload.sub, scopes, claims: payload, ...(expiresAt !== undefined && { expiresAt }) };
  }

  // RFC 6750 allows one transmission method per request; the header is looked at first.
  private tokenOf(request: UpgradeRequest): string | 'malformed' | undefined {
    const header = request.headers.authorization?.trim();
    if (header !== undefined && header !== '') {
      const space = header.indexOf(' ');
      const scheme = space === -1 ? header : header.slice(0, space);
      if (scheme.toLowerCase() === 'bearer') {
        const token = space === -1 ? '' : header.slice(space + 1).trim();
        return B64TOKEN.test(token) ? token : 'malformed';
      }
    }
    if (this.options.queryParam === undefined) return undefined;
    const token = request.query.get(this.options.queryParam);
    if (token === null) return undefined;
    return token === '' ? 'malformed' : token;
  }
}

function copy(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value];
}

function invalidToken(description: string): AuthenticationError {
  return new AuthenticationError(`${description}.`, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
  });
}

/** Scopes of a scope claim (absent: none); `undefined` when the claim is neither a string nor strings. */
function scopesOf(claim: unknown): readonly string[] | undefined {
  if (claim === undefined) return [];
  if (typeof claim === 'string') return claim.split(/\s+/).filter((scope) => scope !== '');
  if (Array.isArray(claim) && claim.every((scope) => typeof scope === 'string')) return claim as string[];
  return undefined;
}

// The client-facing reason a token is refused, or `undefined` when the failure is not the
// token's (the JWK set unreachable or broken). Fixed phrases: jose's messages stay in the log.
function describeRejection(error: unknown): string | undefined {
  const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'The token is not valid yet';
      if (reason === 'missing') return `The token has no ${String(claim)} claim`;
      return `The token's ${String(claim)} claim is not accepted`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The token signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The token algorithm is not accepted';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'No single key matches the token';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'The token is malformed';
    default:
      return undefined;
  }
}
