import bcrypt from 'bcryptjs';
import { UpgradeRequests } from '../../../test/upgrade-requests';
import { AuthenticationError, AuthorizationError, InvalidArgumentError } from '../../errors';
import type { UpgradeRequest } from '../../upgrade-request';
import { authenticate } from './authenticate';
import { BasicAuthenticator, type BasicUser } from './basic-authenticator';
import { hashPassword } from './password-hash';

const CHALLENGE = 'Basic realm="duet", charset="UTF-8"';
const basicHeader = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

async function refusal(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('BasicAuthenticator', () => {
  let requests: UpgradeRequests;
  let users: BasicUser[];
  let basic: BasicAuthenticator;
  const requestWith = (authorization: string) => requests.request({ authorization });

  beforeAll(async () => {
    requests = await UpgradeRequests.start();
    users = [
      { username: 'ada', passwordHash: await hashPassword('lovelace', { ln: 10 }), scopes: ['chat:read', 'chat:write'] },
      { username: 'bob', passwordHash: bcrypt.hashSync('builder', 4) },
    ];
    basic = new BasicAuthenticator(users);
  });
  afterAll(() => requests.close());

  it('accepts a known user with the right password, with the scopes of the list', async () => {
    expect(await basic.authenticate(await requestWith(basicHeader('ada:lovelace')))).toEqual({
      name: 'ada',
      scopes: ['chat:read', 'chat:write'],
    });
  });

  it('accepts a user whose hash is bcrypt, with no scopes when none are listed', async () => {
    expect(await basic.authenticate(await requestWith(basicHeader('bob:builder')))).toEqual({ name: 'bob', scopes: [] });
  });

  it('reads the scheme name case-insensitively and splits at the first colon only', async () => {
    const withColon = new BasicAuthenticator([{ username: 'eve', passwordHash: await hashPassword('a:b:c', { ln: 10 }) }]);
    const header = `bAsIc ${Buffer.from('eve:a:b:c').toString('base64')}`;
    expect((await withColon.authenticate(await requestWith(header)))?.name).toBe('eve');
  });

  it('answers undefined (not mine) without an Authorization header or with another scheme', async () => {
    expect(await basic.authenticate(await requests.request())).toBeUndefined();
    expect(await basic.authenticate(await requestWith('Bearer abc.def.ghi'))).toBeUndefined();
  });

  it('refuses a wrong password with 401 and the Basic challenge', async () => {
    const error = await refusal(basic.authenticate(await requestWith(basicHeader('ada:wrong'))));
    expect(error.status).toBe(401);
    expect(error.message).toBe('The username or password is not valid.');
    expect(error.headers).toEqual({ 'WWW-Authenticate': CHALLENGE });
  });

  it('refuses an unknown user exactly as a wrong password, so names cannot be probed', async () => {
    const unknown = await refusal(basic.authenticate(await requestWith(basicHeader('mallory:lovelace'))));
    const wrong = await refusal(basic.authenticate(await requestWith(basicHeader('ada:nope'))));
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.headers).toEqual(wrong.headers);
  });

  it.each([
    ['no credentials after the scheme', 'Basic'],
    ['characters outside base64', 'Basic ***'],
    ['base64 with bad padding', 'Basic YWRh=Ong'],
    ['no colon', basicHeader('adalovelace')],
    ['invalid UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`],
  ])('refuses malformed credentials (%s) with 401', async (_, header) => {
    const error = await refusal(basic.authenticate(await requestWith(header)));
    expect(error.message).toBe('The Basic credentials are malformed.');
    expect(error.headers['WWW-Authenticate']).toBe(CHALLENGE);
  });

  it('names a configured realm in its challenge', async () => {
    const custom = new BasicAuthenticator(users, { realm: 'chat room' });
    expect(custom.challenge).toBe('Basic realm="chat room", charset="UTF-8"');
    const error = await refusal(custom.authenticate(await requestWith(basicHeader('ada:x'))));
    expect(error.headers['WWW-Authenticate']).toBe('Basic realm="chat room", charset="UTF-8"');
  });

  it('answers 403 through authenticate when the user lacks a required scope, 401 without credentials', async () => {
    const forbidden = await authenticate([basic], await requestWith(basicHeader('bob:builder')), ['chat:write']).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(AuthorizationError);
    expect((forbidden as AuthorizationError).missingScopes).toEqual(['chat:write']);
    const missing = await refusal(authenticate([basic], await requests.request(), ['chat:write']));
    expect(missing.headers['WWW-Authenticate']).toBe(CHALLENGE);
  });

  it.each([
    ['an empty list', [], /at least one user/],
    ['a user without username', [{ passwordHash: '$2b$04$' + 'a'.repeat(53) }], /users\[0\]\.username must be a non-empty string/],
    ['a username with a colon', [{ username: 'a:b', passwordHash: '$2b$04$' + 'a'.repeat(53) }], /must not contain ':'/],
    ['a malformed passwordHash', [{ username: 'a', passwordHash: 'plain' }], /users\[0\]\.passwordHash is not a supported password hash/],
    ['bad scopes', [{ username: 'a', passwordHash: '$2b$04$' + 'a'.repeat(53), scopes: ['ok', 'has space'] }], /users\[0\]\.scopes has an invalid scope "has space"/],
    ['an unknown field', [{ username: 'a', passwordHash: '$2b$04$' + 'a'.repeat(53), password: 'x' }], /unknown field 'password'/],
  ])('refuses to be built with %s', (_, list, message) => {
    expect(() => new BasicAuthenticator(list as BasicUser[])).toThrow(InvalidArgumentError);
    expect(() => new BasicAuthenticator(list as BasicUser[])).toThrow(message);
  });

  it('refuses a user listed twice and a realm that cannot be quoted', () => {
    const hash = '$2b$04$' + 'a'.repeat(53);
    expect(() => new BasicAuthenticator([{ username: 'a', passwordHash: hash }, { username: 'a', passwordHash: hash }])).toThrow(
      /users\[1\]\.username 'a' is listed twice/,
    );
    expect(() => new BasicAuthenticator(users, { realm: 'say "hi"' })).toThrow(/realm must not contain quotes/);
  });

  it('spends about as long on an unknown user as on a wrong password', async () => {
    const timed = new BasicAuthenticator([
      { username: 'ada', passwordHash: await hashPassword('lovelace', { ln: 12 }) },
      { username: 'bob', passwordHash: await hashPassword('builder', { ln: 12 }) },
    ]);
    const wrongPassword = await requestWith(basicHeader('ada:not-it'));
    const unknownUser = await requestWith(basicHeader('nobody:not-it'));
    const time = async (request: UpgradeRequest) => {
      const start = process.hrtime.bigint();
      await timed.authenticate(request).catch(() => undefined);
      return Number(process.hrtime.bigint() - start);
    };
    const wrongTimes: number[] = [];
    const unknownTimes: number[] = [];
    // Interleaved, so drift in machine load affects both series alike.
    for (let run = 0; run < 25; run++) {
      wrongTimes.push(await time(wrongPassword));
      unknownTimes.push(await time(unknownUser));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const ratio = median(unknownTimes) / median(wrongTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
