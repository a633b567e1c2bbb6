// The `auth` and `requiredScopes` fields of `@WebSocketService`: their types, and the
// start-time compilation of `auth` entries into authenticators (or a ServiceConfigError).
import type { Newable } from 'inversify';
import { ServiceConfigError } from '../../errors';
import { scopeListProblem } from './authenticate';
import type { Authenticator } from './authenticator';
import { type AuthenticatorTypes, BUILT_IN_AUTHENTICATOR_TYPES } from './authenticator-types';
import type { BasicUser } from './basic-authenticator';
import type { JwtAuthenticatorOptions } from './jwt-options';

/**
 * HTTP Basic against a list of users, given inline or as a JSON file holding the same array
 * (read and checked at start; a relative path is taken from the working directory).
 *
 * @example
 * ```ts
 * { type: 'basic', users: [{ username: 'ada', passwordHash: '$scrypt$ln=15,r=8,p=1$…', scopes: ['chat'] }] }
 * { type: 'basic', file: 'config/users.json' }
 * ```
 */
export interface BasicAuthConfig {
  readonly type: 'basic';
  /** The users; exactly one of `users` and `file` is given. */
  readonly users?: readonly BasicUser[];
  /** The path of a JSON file with an array of users. */
  readonly file?: string;
  /** The realm of the Basic challenge (default `'duet'`). */
  readonly realm?: string;
}

/**
 * Bearer JWTs verified with exactly one of `secret`, `publicKey` or `jwksUrl`.
 *
 * @example
 * ```ts
 * { type: 'jwt', jwksUrl: 'https://login.example.com/jwks.json', issuer: 'https://login.example.com', audience: 'chat', queryParam: 'access_token' }
 * ```
 */
export interface JwtAuthConfig extends JwtAuthenticatorOptions {
  readonly type: 'jwt';
}

/** A class implementing {@link Authenticator}, resolved from the container (so it gets its dependencies). */
export type AuthenticatorClass = Newable<Authenticator>;

/** One entry of `@WebSocketService({ auth: [...] })`; entries are tried in order. */
export type AuthConfigEntry = BasicAuthConfig | JwtAuthConfig | AuthenticatorClass;

/**
 * Checks and builds the `auth` entries of a service, once, at start: a `{ type, … }` entry by
 * the builder `types` registers for its type (files read, hashes and keys parsed), a class
 * resolved with `resolveClass` (one instance for the service's life).
 * `undefined` means the service has no authentication and gives `[]`.
 *
 * @throws ServiceConfigError naming the service, the field `auth`, the entry and (when there
 *   is one) the file, for the first problem found.
 */
export async function compileAuthenticators(
  serviceName: string,
  entries: unknown,
  resolveClass: (cls: AuthenticatorClass) => Authenticator,
  types: AuthenticatorTypes = BUILT_IN_AUTHENTICATOR_TYPES,
): Promise<Authenticator[]> {
  const fail = (problem: string): never => {
    throw new ServiceConfigError(serviceName, 'auth', problem);
  };
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) {
    return fail("must be an array of { type: 'basic' | 'jwt', … } entries and Authenticator classes");
  }
  if (entries.length === 0) return fail('must list at least one authenticator (leave auth out for none)');
  const authenticators: Authenticator[] = [];
  for (const [index, entry] of entries.entries()) {
    if (typeof entry === 'function') {
      authenticators.push(compileClass(entry as AuthenticatorClass, resolveClass, (problem) => fail(`entry ${index}: ${problem}`)));
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return fail(`entry ${index} must be { type: 'basic' | 'jwt', … } or an Authenticator class, got ${describe(entry)}`);
    }
    const { type, ...options } = entry as Record<string, unknown>;
    const failEntry = (problem: string): never => fail(`entry ${index} (${String(type)}): ${problem}`);
    const build = types.builderOf(type);
    if (build === undefined) return fail(`entry ${index} has an unknown type ${JSON.stringify(type)} (expected ${types.describe()})`);
    authenticators.push(await build(options, failEntry));
  }
  return authenticators;
}

/**
 * Checks `requiredScopes`: absent gives `[]`, else an array of non-empty scope strings
 * without white space (duplicates dropped).
 *
 * @throws ServiceConfigError naming the service and the field `requiredScopes`.
 */
export function validateRequiredScopes(serviceName: string, value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  const problem = scopeListProblem(value);
  if (problem !== undefined) throw new ServiceConfigError(serviceName, 'requiredScopes', problem);
  return Object.freeze([...new Set(value as string[])]);
}

function compileClass(
  cls: AuthenticatorClass,
  resolveClass: (cls: AuthenticatorClass) => Authenticator,
  fail: (problem: string) => never,
): Authenticator {
  const name = cls.name || '(anonymous class)';
  if (typeof (cls.prototype as Partial<Authenticator> | undefined)?.authenticate !== 'function') {
    return fail(`${name} has no authenticate method; an auth class must implement Authenticator`);
  }
  let instance: unknown;
  try {
    instance = resolveClass(cls);
  } catch (error) {
    return fail(`${name} could not be resolved from the container: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof (instance as Partial<Authenticator> | null)?.authenticate !== 'function') {
    return fail(`resolving ${name} gave ${describe(instance)}, which has no authenticate method`);
  }
  return instance as Authenticator;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
