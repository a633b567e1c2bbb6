import { SignJWT } from 'jose';
import { UpgradeRequests } from '../../../test/upgrade-requests';
import { AuthenticationError, AuthenticatorError, AuthorizationError } from '../../errors';
import type { Principal, UpgradeRequest } from '../../upgrade-request';
import { authenticate } from './authenticate';
import type { Authenticator } from './authenticator';
import { BasicAuthenticator } from './basic-authenticator';
import { JwtAuthenticator } from './jwt-authenticator';
import { hashPassword } from './password-hash';

const SECRET = 'a-test-secret-of-at-least-32-bytes!';

/** Accepts when the `x-key` header equals its key; otherwise "not mine". */
class KeyAuthenticator implements Authenticator {
  readonly scheme = 'Key';
  constructor(
    private readonly key: string,
    private readonly principal: Principal,
  ) {}
  authenticate(request: UpgradeRequest): Principal | undefined {
    return request.headers['x-key'] === this.key ? this.principal : undefined;
  }
}

class RefusingAuthenticator implements Authenticator {
  readonly scheme = 'Custom';
  async authenticate(): Promise<Principal | undefined> {
    throw new AuthenticationError('custom refused', { 'WWW-Authenticate': 'Custom error="nope"', 'X-Reason': 'r' });
  }
}

class ReturnsNull implements Authenticator {
  authenticate(): Principal | undefined {
    return null as unknown as undefined;
  }
}

describe('authenticate', () => {
  let requests: UpgradeRequests;
  let basic: BasicAuthenticator;
  const jwt = new JwtAuthenticator({ secret: SECRET });

  beforeAll(async () => {
    requests = await UpgradeRequests.start();
    basic = new BasicAuthenticator([{ username: 'ada', passwordHash: await hashPassword('pw', { ln: 10 }), scopes: ['read'] }]);
  });
  afterAll(() => requests.close());

  const basicHeader = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('takes the principal of the first authenticator that accepts, in order', async () => {
    const first = new KeyAuthenticator('k', { name: 'first', scopes: [] });
    const second = new KeyAuthenticator('k', { name: 'second', scopes: [] });
    const request = await requests.request({ 'x-key': 'k' });
    expect((await authenticate([first, second], request, [])).name).toBe('first');
    expect((await authenticate([second, first], request, [])).name).toBe('second');
  });

  it('tries the next authenticator when one answers undefined or null (not mine)', async () => {
    const request = await requests.request({ authorization: basicHeader('ada', 'pw') });
    const principal = await authenticate([new ReturnsNull(), new KeyAuthenticator('k', { name: 'key', scopes: [] }), basic], request, []);
    expect(principal).toEqual({ name: 'ada', scopes: ['read'] });
  });

  it('keeps trying after a refusal, so credentials of another scheme can still be accepted', async () => {
    const request = await requests.request({ authorization: basicHeader('ada', 'pw') });
    expect((await authenticate([new RefusingAuthenticator(), basic], request, [])).name).toBe('ada');
  });

  it('answers 401 asking for every scheme offered, in order, when no credentials came', async () => {
    const request = await requests.request();
    const failure = authenticate([basic, jwt, new KeyAuthenticator('k', { name: 'x', scopes: [] })], request, []);
    await expect(failure).rejects.toBeInstanceOf(AuthenticationError);
    const error = (await failure.catch((e: unknown) => e)) as AuthenticationError;
    expect(error.status).toBe(401);
    expect(error.message).toBe('Authentication is required.');
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Basic realm="duet", charset="UTF-8", Bearer, Key' });
  });

  it("puts a refusing authenticator's error detail in its challenge and says why in the message", async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ada')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    const request = await requests.request({ authorization: `Bearer ${expired}` });
    const error = (await authenticate([basic, jwt], request, []).catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe('The token has expired.');
    expect(error.headers['WWW-Authenticate']).toBe(
      'Basic realm="duet", charset="UTF-8", Bearer error="invalid_token", error_description="The token has expired"',
    );
  });

  it("keeps a refusal's other headers", async () => {
    const error = (await authenticate([new RefusingAuthenticator()], await requests.request(), []).catch((e: unknown) => e)) as AuthenticationError;
    expect(error.message).toBe('custom refused');
    expect(error.headers).toEqual({ 'X-Reason': 'r', 'WWW-Authenticate': 'Custom error="nope"' });
  });

  it('answers 403 naming the missing scopes when the principal lacks a required one', async () => {
    const request = await requests.request({ authorization: basicHeader('ada', 'pw') });
    const error = (await authenticate([basic], request, ['read', 'write', 'admin']).catch((e: unknown) => e)) as AuthorizationError;
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error.status).toBe(403);
    expect(error.missingScopes).toEqual(['write', 'admin']);
    expect(error.message).toBe("'ada' lacks the required scopes write, admin.");
  });

  it('does not try later authenticators once one accepted without the scopes', async () => {
    const weak = new KeyAuthenticator('k', { name: 'weak', scopes: [] });
    const strong = new KeyAuthenticator('k', { name: 'strong', scopes: ['admin'] });
    await expect(authenticate([weak, strong], await requests.request({ 'x-key': 'k' }), ['admin'])).rejects.toThrow(AuthorizationError);
  });

  it('accepts a principal holding every required scope', async () => {
    const request = await requests.request({ authorization: basicHeader('ada', 'pw') });
    expect((await authenticate([basic], request, ['read'])).scopes).toEqual(['read']);
  });

  it('lets any other error of an authenticator through unchanged, without trying the rest', async () => {
    const boom = new Error('database down');
    const broken: Authenticator = {
      authenticate: () => {
        throw boom;
      },
    };
    const request = await requests.request({ 'x-key': 'k' });
    await expect(authenticate([broken, new KeyAuthenticator('k', { name: 'x', scopes: [] })], request, [])).rejects.toBe(boom);
  });

  it('throws an AuthenticatorError when an authenticator returns something that is not a principal', async () => {
    const request = await requests.request();
    const returning = (value: unknown): Authenticator => ({ authenticate: () => value as Principal });
    await expect(authenticate([returning('ada')], request, [])).rejects.toThrow(AuthenticatorError);
    await expect(authenticate([returning({ name: '', scopes: [] })], request, [])).rejects.toThrow(/without a name/);
    await expect(authenticate([returning({ name: 'a', scopes: 'read' })], request, [])).rejects.toThrow(/scopes are not an array/);
    await expect(authenticate([returning({ name: 'a', scopes: [], claims: 1 })], request, [])).rejects.toThrow(/claims/);
  });

  it('returns a frozen copy, so a shared principal object cannot be changed through a connection', async () => {
    const shared = { name: 'x', scopes: ['a'] };
    const principal = await authenticate([new KeyAuthenticator('k', shared)], await requests.request({ 'x-key': 'k' }), []);
    expect(principal).toEqual(shared);
    expect(principal).not.toBe(shared);
    expect(Object.isFrozen(principal) && Object.isFrozen(principal.scopes)).toBe(true);
  });
});
