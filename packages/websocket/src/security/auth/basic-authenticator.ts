// HTTP Basic authentication (RFC 7617) against a fixed list of users with password hashes.
// An unknown user is verified against a dummy hash of the same cost, so the time an answer
// takes does not tell which usernames exist. Hashes wait for a turn (password-check-queue.ts).
import { AuthenticationError, InvalidArgumentError } from '../../errors';
import type { Principal, UpgradeRequest } from '../../upgrade-request';
import { scopeListProblem } from './authenticate';
import type { Authenticator } from './authenticator';
import { passwordChecks } from './password-check-queue';
import { dummyHashLike, passwordHashProblem, verifyPassword } from './password-hash';

/** One user of a `basic` auth entry. */
export interface BasicUser {
  /** The name the client sends; it becomes the principal's name. Must not contain ':'. */
  readonly username: string;
  /** A hash from {@link hashPassword}, or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`). */
  readonly passwordHash: string;
  /** Scopes granted to this user (default none). */
  readonly scopes?: readonly string[];
}

/** Options of {@link BasicAuthenticator}. */
export interface BasicAuthenticatorOptions {
  /** The realm named in the `WWW-Authenticate` challenge (default `'duet'`). */
  readonly realm?: string;
}

/** The realm of a Basic challenge when none is configured. */
export const DEFAULT_BASIC_REALM = 'duet';

interface StoredUser {
  readonly passwordHash: string;
  readonly scopes: readonly string[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Accepts `Authorization: Basic …` credentials of a known user with the right password.
 * No Basic header: `undefined` (another authenticator may accept). Malformed header, unknown
 * user or wrong password: `AuthenticationError` (401) with the Basic challenge.
 *
 * @example
 * ```ts
 * const basic = new BasicAuthenticator([
 *   { username: 'ada', passwordHash: await hashPassword('s3cret'), scopes: ['chat:write'] },
 * ]);
 * ```
 */
export class BasicAuthenticator implements Authenticator {
  readonly scheme = 'Basic';
  /** The full challenge, e.g. `Basic realm="duet", charset="UTF-8"`. */
  readonly challenge: string;
  private readonly users: ReadonlyMap<string, StoredUser>;
  private readonly dummyHash: string;

  /** @throws InvalidArgumentError when a user or the realm is invalid. */
  constructor(users: readonly BasicUser[], options: BasicAuthenticatorOptions = {}) {
    const checked = checkBasicUsers(users);
    if (typeof checked === 'string') throw new InvalidArgumentError(`BasicAuthenticator: ${checked}`);
    const realm = options.realm ?? DEFAULT_BASIC_REALM;
    const realmProblem = basicRealmProblem(realm);
    if (realmProblem !== undefined) throw new InvalidArgumentError(`BasicAuthenticator: realm ${realmProblem}`);
    this.challenge = `Basic realm="${realm}", charset="UTF-8"`;
    this.users = new Map(
      checked.map((user) => [user.username, { passwordHash: user.passwordHash, scopes: Object.freeze([...(user.scopes ?? [])]) }]),
    );
    // Mirrors the first user's hash: lists made by hashPassword share one cost, so an unknown
    // name costs exactly what a known one does. (Mixed costs would make them distinguishable.)
    this.dummyHash = dummyHashLike(checked[0].passwordHash);
  }

  async authenticate(request: UpgradeRequest): Promise<Principal | undefined> {
    const credentials = readBasicCredentials(request.headers.authorization);
    if (credentials === undefined) return undefined;
    if (credentials === 'malformed') throw this.refuse('The Basic credentials are malformed.');
    const user = this.users.get(credentials.username);
    const hash = user?.passwordHash ?? this.dummyHash;
    // A few hashes at a time for the process; a request answered while it waits is not hashed.
    const matches = await passwordChecks.run(() => verifyPassword(credentials.password, hash), request.signal);
    if (user === undefined || !matches) throw this.refuse('The username or password is not valid.');
    return { name: credentials.username, scopes: user.scopes };
  }

  private refuse(message: string): AuthenticationError {
    return new AuthenticationError(message, { 'WWW-Authenticate': this.challenge });
  }
}

/**
 * @internal The users of `value` if it is a valid, non-empty users list without duplicate
 * names, or the problem (a phrase naming the offending entry, e.g. `users[2].username …`).
 */
export function checkBasicUsers(value: unknown): readonly BasicUser[] | string {
  if (!Array.isArray(value)) return 'users must be an array of { username, passwordHash, scopes? }';
  if (value.length === 0) return 'users must list at least one user';
  const seen = new Set<string>();
  const users: BasicUser[] = [];
  for (const [index, entry] of value.entries()) {
    const at = `users[${index}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return `${at} must be an object { username, passwordHash, scopes? }`;
    }
    const { username, passwordHash, scopes, ...unknown } = entry as Record<string, unknown>;
    const extra = Object.keys(unknown);
    if (extra.length > 0) return `${at} has an unknown field '${extra[0]}'`;
    if (typeof username !== 'string' || username === '') return `${at}.username must be a non-empty string`;
    if (username.includes(':')) return `${at}.username must not contain ':' (Basic separates name and password by it)`;
    if (seen.has(username)) return `${at}.username '${username}' is listed twice`;
    seen.add(username);
    const hashProblem = passwordHashProblem(passwordHash);
    if (hashProblem !== undefined) return `${at}.passwordHash ${hashProblem}`;
    if (scopes !== undefined) {
      const scopesProblem = scopeListProblem(scopes);
      if (scopesProblem !== undefined) return `${at}.scopes ${scopesProblem}`;
    }
    users.push({ username, passwordHash: passwordHash as string, scopes: scopes as readonly string[] | undefined });
  }
  return users;
}

/** @internal Why `realm` cannot be put in a quoted-string, or `undefined`. */
export function basicRealmProblem(realm: unknown): string | undefined {
  if (typeof realm !== 'string' || realm === '') return 'must be a non-empty string';
  // Kept out rather than escaped: some clients do not unescape quoted-pairs in challenges.
  if (/["\\\u0000-\u001f\u007f]/.test(realm)) return 'must not contain quotes, backslashes or control characters';
  return undefined;
}

/** Credentials of an `Authorization: Basic` header; `undefined` when the header is absent or another scheme. */
function readBasicCredentials(header: string | undefined): { username: string; password: string } | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const token = space === -1 ? '' : trimmed.slice(space + 1).trim();
  if (token === '' || !BASE64.test(token)) return 'malformed';
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(token, 'base64'));
  } catch {
    return 'malformed';
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return 'malformed';
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
