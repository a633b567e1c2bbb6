// The `auth` and `requiredScopes` fields of `@WebSocketService`: their types, and the
// start-time compilation of `auth` entries into authenticators (or a ServiceConfigError).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Newable } from 'inversify';
import { ServiceConfigError } from '../../errors';
import { scopeListProblem } from './authenticate';
import type { Authenticator } from './authenticator';
import { BasicAuthenticator, type BasicUser, basicRealmProblem, checkBasicUsers } from './basic-authenticator';
import { JwtAuthenticator } from './jwt-authenticator';
import { type JwtAuthenticatorOptions, checkJwtOptions } from './jwt-options';

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
 * Checks and builds the `auth` entries of a service, once, at start: files are read, hashes
 * and keys parsed, classes resolved with `resolveClass` (one instance for the service's life).
 * `undefined` means the service has no authentication and gives `[]`.
 *
 * @throws ServiceConfigError naming the service, the field `auth`, the entry and (when there
 *   is one) the file, for the first problem found.
 */
export async function compileAuthenticators(
  serviceName: string,
  entries: unknown,
  resolveClass: (cls: AuthenticatorClass) => Authenticator,
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
    if (type === 'basic') authenticators.push(await compileBasic(options, failEntry));
    else if (type === 'jwt') authenticators.push(compileJwt(options, failEntry));
    else return fail(`entry ${index} has an unknown type ${JSON.stringify(type)} (expected 'basic' or 'jwt')`);
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

async function compileBasic(options: Record<string, unknown>, fail: (problem: string) => never): Promise<Authenticator> {
  const { users, file, realm, ...unknown } = options;
  const extra = Object.keys(unknown);
  if (extra.length > 0) return fail(`has an unknown field '${extra[0]}' (expected users or file, and realm)`);
  if (realm !== undefined) {
    const problem = basicRealmProblem(realm);
    if (problem !== undefined) return fail(`realm ${problem}`);
  }
  if ((users === undefined) === (file === undefined)) return fail('needs exactly one of users and file');
  let checked: readonly BasicUser[] | string;
  if (users !== undefined) {
    checked = checkBasicUsers(users);
    if (typeof checked === 'string') return fail(checked);
  } else {
    if (typeof file !== 'string' || file === '') return fail('file must be a non-empty path');
    const path = resolve(file);
    checked = checkBasicUsers(await readUsersFile(path, fail));
    if (typeof checked === 'string') return fail(`file ${path}: ${checked}`);
  }
  return new BasicAuthenticator(checked, realm === undefined ? {} : { realm: realm as string });
}

async function readUsersFile(path: string, fail: (problem: string) => never): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return fail(`file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return fail(`file ${path} is not valid JSON (${(error as Error).message})`);
  }
}

function compileJwt(options: Record<string, unknown>, fail: (problem: string) => never): Authenticator {
  const checked = checkJwtOptions(options);
  if (typeof checked === 'string') return fail(checked);
  // Checked options are valid options: the constructor's own check reads no file again.
  return new JwtAuthenticator(checked);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
