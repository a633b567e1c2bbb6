import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container, inject, injectable } from 'inversify';
import { SignJWT } from 'jose';
import { UpgradeRequests } from '../../../test/upgrade-requests';
import { ServiceConfigError } from '../../errors';
import type { Principal, UpgradeRequest } from '../../upgrade-request';
import { type AuthenticatorClass, compileAuthenticators, validateRequiredScopes } from './auth-config';
import { authenticate } from './authenticate';
import type { Authenticator } from './authenticator';
import { AuthenticatorTypes, BUILT_IN_AUTHENTICATOR_TYPES } from './authenticator-types';
import { BasicAuthenticator } from './basic-authenticator';
import { JwtAuthenticator } from './jwt-authenticator';
import { hashPassword } from './password-hash';

const SECRET = 'a-test-secret-of-at-least-32-bytes!';
const API_KEYS = Symbol('API_KEYS');

@injectable()
class ApiKeyAuthenticator implements Authenticator {
  readonly scheme = 'ApiKey';
  constructor(@inject(API_KEYS) private readonly keys: ReadonlyMap<string, string>) {}
  authenticate(request: UpgradeRequest): Principal | undefined {
    const name = this.keys.get(String(request.headers['x-api-key']));
    return name === undefined ? undefined : { name, scopes: ['api'] };
  }
}

@injectable()
class NeedsUnboundDependency implements Authenticator {
  constructor(@inject(Symbol('unbound')) readonly missing: unknown) {}
  authenticate(): undefined {
    return undefined;
  }
}

class NotAnAuthenticator {
  check(): boolean {
    return true;
  }
}

describe('compileAuthenticators', () => {
  let container: Container;
  let directory: string;
  let passwordHash: string;
  const resolve = (cls: AuthenticatorClass) => container.get(cls);
  const compile = (entries: unknown) => compileAuthenticators('ChatService', entries, resolve);

  /** The ServiceConfigError a compilation fails with; its message must match `problem`. */
  async function configError(entries: unknown, problem: RegExp | string): Promise<void> {
    const error = await compile(entries).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect((error as ServiceConfigError).service).toBe('ChatService');
    expect((error as ServiceConfigError).field).toBe('auth');
    expect((error as Error).message).toMatch(problem);
  }

  beforeAll(async () => {
    passwordHash = await hashPassword('lovelace', { ln: 10 });
    directory = mkdtempSync(join(tmpdir(), 'duet-auth-config-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  beforeEach(() => {
    container = new Container();
    container.bind(API_KEYS).toConstantValue(new Map([['k-1', 'robot']]));
    container.bind(ApiKeyAuthenticator).toSelf();
    container.bind(NeedsUnboundDependency).toSelf();
  });

  const writeFile = (name: string, content: string) => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };

  it('gives no authenticators when auth is absent', async () => {
    expect(await compile(undefined)).toEqual([]);
  });

  it('builds each entry, in order: basic from a list or a file, jwt, and classes from the container', async () => {
    const file = writeFile('users.json', JSON.stringify([{ username: 'bob', passwordHash, scopes: ['chat'] }]));
    const authenticators = await compile([
      { type: 'basic', users: [{ username: 'ada', passwordHash }] },
      { type: 'basic', file, realm: 'files' },
      { type: 'jwt', secret: SECRET, audience: 'chat' },
      ApiKeyAuthenticator,
    ]);
    expect(authenticators.map((a) => a.constructor)).toEqual([BasicAuthenticator, BasicAuthenticator, JwtAuthenticator, ApiKeyAuthenticator]);
    expect((authenticators[1] as BasicAuthenticator).challenge).toBe('Basic realm="files", charset="UTF-8"');
  });

  it('compiles authenticators that accept what they should, a class with its injected dependencies included', async () => {
    const requests = await UpgradeRequests.start();
    try {
      const file = writeFile('one-user.json', JSON.stringify([{ username: 'bob', passwordHash, scopes: ['chat'] }]));
      const authenticators = await compile([ApiKeyAuthenticator, { type: 'basic', file }, { type: 'jwt', secret: SECRET, queryParam: 't' }]);
      const basicHeader = `Basic ${Buffer.from('bob:lovelace').toString('base64')}`;
      // The class answers "not mine" (no x-api-key), so Basic is tried next and accepts.
      expect(await authenticate(authenticators, await requests.request({ authorization: basicHeader }), ['chat'])).toEqual({ name: 'bob', scopes: ['chat'] });
      expect((await authenticate(authenticators, await requests.request({ 'x-api-key': 'k-1' }), ['api'])).name).toBe('robot');
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('carol').sign(new TextEncoder().encode(SECRET));
      expect((await authenticate(authenticators, await requests.request({}, `/ws?t=${token}`), [])).name).toBe('carol');
    } finally {
      await requests.close();
    }
  });

  it.each([
    ['auth that is not an array', { type: 'basic' }, /'auth' must be an array/],
    ['an empty list', [], /must list at least one authenticator/],
    ['an entry that is neither an object nor a class', ['basic'], /entry 0 must be .* got "basic"/],
    ['an unknown type', [{ type: 'oauth' }], /entry 0 has an unknown type "oauth"/],
    ['basic with neither users nor file', [{ type: 'basic' }], /entry 0 \(basic\): needs exactly one of users and file/],
    ['basic with both users and file', [{ type: 'basic', users: [], file: 'x.json' }], /needs exactly one of users and file/],
    ['basic with an unknown field', [{ type: 'basic', user: [] }], /entry 0 \(basic\): has an unknown field 'user'/],
    ['basic with a bad realm', [{ type: 'basic', users: [], realm: 'a"b' }], /realm must not contain quotes/],
    ['a user without username', [{ type: 'basic', users: [{ passwordHash: '$2b$04$' + 'a'.repeat(53) }] }], /users\[0\]\.username must be a non-empty string/],
    ['a malformed passwordHash', [{ type: 'basic', users: [{ username: 'ada', passwordHash: '$scrypt$broken' }] }], /users\[0\]\.passwordHash is a malformed scrypt hash/],
    ['jwt without a key', [{ type: 'jwt', audience: 'x' }], /entry 0 \(jwt\): needs one of secret, publicKey or jwksUrl/],
    ['jwt with two keys', [{ type: 'jwt', secret: SECRET, publicKey: '-----BEGIN PUBLIC KEY-----' }], /only one of secret, publicKey or jwksUrl/],
    ['jwt with a short secret', [{ type: 'jwt', secret: 'short' }], /secret must be at least 32 bytes/],
    ['a class without authenticate', [NotAnAuthenticator], /entry 0: NotAnAuthenticator has no authenticate method/],
  ])('refuses %s with a ServiceConfigError naming the problem', async (_, entries, problem) => {
    await configError(entries, problem);
  });

  it('names the entry that is wrong, not only the first', async () => {
    await configError([{ type: 'jwt', secret: SECRET }, { type: 'basic', users: [{ username: 'ada', passwordHash: 'x' }] }], /entry 1 \(basic\): users\[0\]\.passwordHash/);
  });

  it('names the users file when it cannot be read, is not JSON, or holds an invalid user', async () => {
    const missing = join(directory, 'missing.json');
    await configError([{ type: 'basic', file: missing }], `file ${missing} cannot be read (ENOENT)`);
    const notJson = writeFile('not-json.json', '{ users: ');
    await configError([{ type: 'basic', file: notJson }], `file ${notJson} is not valid JSON`);
    const badUser = writeFile('bad-user.json', JSON.stringify([{ username: 'ada', passwordHash }, { username: 'ada', passwordHash }]));
    await configError([{ type: 'basic', file: badUser }], `file ${badUser}: users[1].username 'ada' is listed twice`);
    const notList = writeFile('object.json', JSON.stringify({ users: [] }));
    await configError([{ type: 'basic', file: notList }], `file ${notList}: users must be an array`);
  });

  it('reports a class the container cannot build, and a resolver that returns no authenticator', async () => {
    await configError([NeedsUnboundDependency], /entry 0: NeedsUnboundDependency could not be resolved from the container: /);
    const error = await compileAuthenticators('ChatService', [ApiKeyAuthenticator], () => ({}) as Authenticator).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/resolving ApiKeyAuthenticator gave an object, which has no authenticate method/);
  });
});

describe('validateRequiredScopes', () => {
  it('gives no scopes when absent, and the listed ones without duplicates otherwise', () => {
    expect(validateRequiredScopes('ChatService', undefined)).toEqual([]);
    const scopes = validateRequiredScopes('ChatService', ['chat:read', 'chat:write', 'chat:read']);
    expect(scopes).toEqual(['chat:read', 'chat:write']);
    expect(Object.isFrozen(scopes)).toBe(true);
  });

  it.each([
    ['a string', 'chat:read', /must be an array of scope strings/],
    ['an empty scope', ['chat', ''], /invalid scope ""/],
    ['a scope with a space', ['chat read'], /invalid scope "chat read"/],
    ['a number', [1], /invalid scope 1/],
  ])('refuses %s with a ServiceConfigError on requiredScopes', (_, value, problem) => {
    let error: unknown;
    try {
      validateRequiredScopes('ChatService', value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect((error as ServiceConfigError).field).toBe('requiredScopes');
    expect((error as Error).message).toMatch(problem);
  });
});

describe('AuthenticatorTypes', () => {
  it("builds each `{ type }` entry with the builder registered for that type, and names the registered types for another", async () => {
    const keys = new Map([['k-1', 'robot']]);
    const types = new AuthenticatorTypes({
      apikey: (options, fail) => {
        if (options.header === undefined) return fail('needs a header');
        return new ApiKeyAuthenticator(keys);
      },
    });
    const [built] = await compileAuthenticators('ChatService', [{ type: 'apikey', header: 'x-api-key' }], () => ({}) as Authenticator, types);
    expect(built).toBeInstanceOf(ApiKeyAuthenticator);
    await expect(compileAuthenticators('ChatService', [{ type: 'apikey' }], () => ({}) as Authenticator, types)).rejects.toThrow(
      "entry 0 (apikey): needs a header",
    );
    await expect(compileAuthenticators('ChatService', [{ type: 'jwt', secret: SECRET }], () => ({}) as Authenticator, types)).rejects.toThrow(
      `entry 0 has an unknown type "jwt" (expected 'apikey')`,
    );
    expect(BUILT_IN_AUTHENTICATOR_TYPES.describe()).toBe("'basic' or 'jwt'");
  });
});
