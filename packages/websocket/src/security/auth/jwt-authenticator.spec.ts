import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JWTPayload, SignJWT, UnsecuredJWT, exportJWK } from 'jose';
import { UpgradeRequests } from '../../../test/upgrade-requests';
import { AuthenticationError, AuthorizationError, InvalidArgumentError } from '../../errors';
import { authenticate } from './authenticate';
import { JwtAuthenticator } from './jwt-authenticator';

const SECRET = 'a-test-secret-of-at-least-32-bytes!';
const secretKey = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

/** A signed token for `sub` 'ada', valid for a minute unless `claims` say otherwise. */
function sign(claims: JWTPayload = {}, key: Uint8Array | KeyObject = secretKey, header: { alg: string; kid?: string } = { alg: 'HS256' }) {
  return new SignJWT({ sub: 'ada', exp: now() + 60, ...claims }).setProtectedHeader(header).sign(key);
}

async function refusal(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

const invalidToken = (description: string) => `Bearer error="invalid_token", error_description="${description}"`;

describe('JwtAuthenticator', () => {
  let requests: UpgradeRequests;
  const hs256 = new JwtAuthenticator({ secret: SECRET });
  const bearer = async (token: string) => requests.request({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    requests = await UpgradeRequests.start();
  });
  afterAll(() => requests.close());

  describe('with an HMAC secret', () => {
    it('accepts a valid token: name from sub, scopes from the space-separated scope claim, claims the payload', async () => {
      const principal = await hs256.authenticate(await bearer(await sign({ scope: 'chat:read  chat:write', room: 7 })));
      expect(principal).toMatchObject({ name: 'ada', scopes: ['chat:read', 'chat:write'] });
      expect(principal?.claims).toMatchObject({ sub: 'ada', room: 7, scope: 'chat:read  chat:write' });
    });

    it('reads scopes given as an array, from a configured claim, and none when the claim is absent', async () => {
      const permissions = new JwtAuthenticator({ secret: SECRET, scopeClaim: 'permissions' });
      expect((await permissions.authenticate(await bearer(await sign({ permissions: ['a', 'b'] }))))?.scopes).toEqual(['a', 'b']);
      expect((await hs256.authenticate(await bearer(await sign())))?.scopes).toEqual([]);
    });

    it('refuses a scope claim that is neither a string nor an array of strings', async () => {
      const error = await refusal(hs256.authenticate(await bearer(await sign({ scope: 42 }))));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken("The token's scope claim is malformed"));
    });

    it('answers undefined (not mine) without a token or with another scheme', async () => {
      expect(await hs256.authenticate(await requests.request())).toBeUndefined();
      expect(await hs256.authenticate(await requests.request({ authorization: 'Basic YWRhOnB3' }))).toBeUndefined();
    });

    it('refuses an expired token with 401 and invalid_token (RFC 6750)', async () => {
      const error = await refusal(hs256.authenticate(await bearer(await sign({ exp: now() - 10 }))));
      expect(error.status).toBe(401);
      expect(error.message).toBe('The token has expired.');
      expect(error.headers).toEqual({ 'WWW-Authenticate': invalidToken('The token has expired') });
    });

    it('allows clockTolerance seconds of leeway', async () => {
      const lenient = new JwtAuthenticator({ secret: SECRET, clockTolerance: 30 });
      expect((await lenient.authenticate(await bearer(await sign({ exp: now() - 10 }))))?.name).toBe('ada');
    });

    it('refuses a token that is not valid yet', async () => {
      const error = await refusal(hs256.authenticate(await bearer(await sign({ nbf: now() + 120 }))));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken('The token is not valid yet'));
    });

    it('refuses a token signed with another secret', async () => {
      const other = new TextEncoder().encode('another-secret-that-is-32-bytes-long');
      const error = await refusal(hs256.authenticate(await bearer(await sign({}, other))));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken('The token signature is invalid'));
    });

    it('refuses a token for another audience or from another issuer', async () => {
      const strict = new JwtAuthenticator({ secret: SECRET, audience: 'chat', issuer: ['https://a.test', 'https://b.test'] });
      expect((await strict.authenticate(await bearer(await sign({ aud: 'chat', iss: 'https://b.test' }))))?.name).toBe('ada');
      const wrongAudience = await refusal(strict.authenticate(await bearer(await sign({ aud: 'billing', iss: 'https://a.test' }))));
      expect(wrongAudience.headers['WWW-Authenticate']).toBe(invalidToken("The token's aud claim is not accepted"));
      const wrongIssuer = await refusal(strict.authenticate(await bearer(await sign({ aud: 'chat', iss: 'https://evil.test' }))));
      expect(wrongIssuer.headers['WWW-Authenticate']).toBe(invalidToken("The token's iss claim is not accepted"));
      const noIssuer = await refusal(strict.authenticate(await bearer(await sign({ aud: 'chat' }))));
      expect(noIssuer.headers['WWW-Authenticate']).toBe(invalidToken('The token has no iss claim'));
    });

    it('refuses a token without sub, since the principal needs a name', async () => {
      const error = await refusal(hs256.authenticate(await bearer(await sign({ sub: undefined }))));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken('The token has no sub claim'));
    });

    it('refuses algorithms not configured, and unsigned tokens', async () => {
      const only256 = new JwtAuthenticator({ secret: 'x'.repeat(48), algorithms: ['HS256'] });
      const hs384 = await sign({}, new TextEncoder().encode('x'.repeat(48)), { alg: 'HS384' });
      const error = await refusal(only256.authenticate(await bearer(hs384)));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken('The token algorithm is not accepted'));
      const unsecured = new UnsecuredJWT({ sub: 'ada' }).encode();
      await refusal(hs256.authenticate(await bearer(unsecured)));
    });

    it('refuses malformed bearer credentials', async () => {
      for (const authorization of ['Bearer', 'Bearer not a token', 'Bearer abc.def']) {
        const error = await refusal(hs256.authenticate(await requests.request({ authorization })));
        expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token", error_description="The (bearer )?token is malformed"$/);
      }
    });

    it('answers 403 through authenticate when a required scope is missing', async () => {
      const error = await authenticate([hs256], await bearer(await sign({ scope: ['chat:read'] })), ['chat:read', 'admin']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthorizationError);
      expect((error as AuthorizationError).missingScopes).toEqual(['admin']);
    });
  });

  describe('with a token in the query', () => {
    const browser = new JwtAuthenticator({ secret: SECRET, queryParam: 'access_token' });

    it('reads the token from queryParam when there is no Authorization header', async () => {
      const request = await requests.request({}, `/ws?room=1&access_token=${await sign({ sub: 'from-query' })}`);
      expect((await browser.authenticate(request))?.name).toBe('from-query');
    });

    it('prefers the Authorization header to the query parameter', async () => {
      const request = await requests.request(
        { authorization: `Bearer ${await sign({ sub: 'from-header' })}` },
        `/ws?access_token=${await sign({ sub: 'from-query' })}`,
      );
      expect((await browser.authenticate(request))?.name).toBe('from-header');
    });

    it('refuses an empty or bad token in the query, and ignores the query when no queryParam is set', async () => {
      await refusal(browser.authenticate(await requests.request({}, '/ws?access_token=')));
      await refusal(browser.authenticate(await requests.request({}, '/ws?access_token=abc')));
      expect(await hs256.authenticate(await requests.request({}, `/ws?access_token=${await sign()}`))).toBeUndefined();
    });
  });

  describe('with a public key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    let directory: string;

    beforeAll(() => {
      directory = mkdtempSync(join(tmpdir(), 'duet-jwt-'));
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it('accepts an RS256 token verified with PEM text', async () => {
      const rsa = new JwtAuthenticator({ publicKey: pem });
      expect((await rsa.authenticate(await bearer(await sign({}, privateKey, { alg: 'RS256' }))))?.name).toBe('ada');
    });

    it('reads the key from a PEM file when given a path', async () => {
      const file = join(directory, 'public.pem');
      writeFileSync(file, pem);
      const rsa = new JwtAuthenticator({ publicKey: file });
      expect((await rsa.authenticate(await bearer(await sign({}, privateKey, { alg: 'PS256' }))))?.name).toBe('ada');
    });

    it('refuses an HS256 token forged with the public key as the secret', async () => {
      const rsa = new JwtAuthenticator({ publicKey: pem });
      const forged = await sign({}, new TextEncoder().encode(pem));
      const error = await refusal(rsa.authenticate(await bearer(forged)));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken('The token algorithm is not accepted'));
    });
  });

  describe('with a JWK set', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let server: Server;
    let jwksUrl: string;
    let fetches = 0;

    beforeAll(async () => {
      const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
      server = createServer((request, response) => {
        fetches++;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('accepts a token signed by a key of the set, fetching the set once', async () => {
      const jwks = new JwtAuthenticator({ jwksUrl, audience: 'chat' });
      const token = await sign({ aud: 'chat', scope: 'x' }, privateKey, { alg: 'ES256', kid: 'key-1' });
      expect(await jwks.authenticate(await bearer(token))).toMatchObject({ name: 'ada', scopes: ['x'] });
      const before = fetches;
      expect((await jwks.authenticate(await bearer(token)))?.name).toBe('ada');
      expect(fetches).toBe(before);
    });

    it('refuses a token whose key id is not in the set', async () => {
      const jwks = new JwtAuthenticator({ jwksUrl });
      const token = await sign({}, privateKey, { alg: 'ES256', kid: 'key-2' });
      const error = await refusal(jwks.authenticate(await bearer(token)));
      expect(error.headers['WWW-Authenticate']).toBe(invalidToken('No single key matches the token'));
    });

    it("fails with a plain Error, not a 401, when the set cannot be fetched: it is not the client's fault", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const unreachable = new JwtAuthenticator({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
      const token = await sign({}, privateKey, { alg: 'ES256', kid: 'key-1' });
      const error = await unreachable.authenticate(await bearer(token)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toMatch(`could not verify a token with the keys from http://127.0.0.1:${port}/jwks.json`);
    });
  });

  describe('construction', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    it.each([
      ['no key source', {}, /needs one of secret, publicKey or jwksUrl/],
      ['two key sources', { secret: SECRET, jwksUrl: 'https://a.test/jwks' }, /only one of secret, publicKey or jwksUrl, got secret and jwksUrl/],
      ['a short secret', { secret: 'short' }, /at least 32 bytes for HS256/],
      ['HS512 with a 32-byte secret', { secret: 'x'.repeat(32), algorithms: ['HS512'] }, /HS512, whose secret must be at least 64 bytes/],
      ['an asymmetric algorithm with a secret', { secret: SECRET, algorithms: ['RS256'] }, /"RS256", which the configured key cannot verify/],
      ['a private key', { publicKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }, /holds a private key/],
      ['an unreadable key file', { publicKey: '/nonexistent/key.pem' }, /publicKey file \/nonexistent\/key.pem cannot be read \(ENOENT\)/],
      ['a PEM that is not a key', { publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }, /not a PEM public key or certificate/],
      ['a JWK set over plain http to another host', { jwksUrl: 'http://keys.example.com/jwks' }, /jwksUrl must be https:/],
      ['a jwksUrl that is not a URL', { jwksUrl: 'not a url' }, /jwksUrl is not a URL/],
      ['a negative clockTolerance', { secret: SECRET, clockTolerance: -1 }, /clockTolerance must be a number of seconds/],
      ['an empty audience', { secret: SECRET, audience: [] }, /audience must be a non-empty string/],
      ['a scope claim with a quote', { secret: SECRET, scopeClaim: 'sc"ope' }, /scopeClaim must be a claim name/],
      ['an empty queryParam', { secret: SECRET, queryParam: '' }, /queryParam must be a non-empty string/],
      ['an unknown field', { secret: SECRET, audiences: ['x'] }, /unknown field 'audiences'/],
    ])('refuses %s', (_, options, message) => {
      expect(() => new JwtAuthenticator(options as never)).toThrow(InvalidArgumentError);
      expect(() => new JwtAuthenticator(options as never)).toThrow(message);
    });
  });
});
