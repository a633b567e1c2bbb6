import { SignJWT } from 'jose';
import { inject, injectable } from 'inversify';
import {
  AuthenticatorError,
  type Authenticator,
  Caller,
  LOGGER,
  type Logger,
  OnOpen,
  OnUpgrade,
  type Principal,
  UpgradeRequest,
  WebSocketService,
  hashPassword,
} from '@duet/websocket';
import { TestClient, cleanup, rawUpgrade, startServices } from './helpers';

afterEach(cleanup);

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const secretKey = new TextEncoder().encode(SECRET);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function token(
  claims: Record<string, unknown>,
  options: { audience?: string; expiresIn?: string | number; secret?: string; issuedAt?: number } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(claims.sub ?? 'ann'))
    .setIssuer('duet-tests')
    .setAudience(options.audience ?? 'chat')
    .setIssuedAt(options.issuedAt)
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.secret === undefined ? secretKey : new TextEncoder().encode(options.secret));
}

let upgradeSaw: Principal | undefined;

function greetPrincipal(caller: Caller): Promise<void> {
  const principal = caller.principal;
  return caller.writeTextMessage(`${principal?.name} [${principal?.scopes.join(',')}]`);
}

describe('authentication on upgrade', () => {
  let adaHash: string;

  beforeAll(async () => {
    adaHash = await hashPassword('lovelace', { ln: 10 });
  });

  it('accepts Basic credentials, answers 401 without or with wrong ones, 403 without a required scope', async () => {
    const users = [{ username: 'ada', passwordHash: adaHash, scopes: ['chat'] }];
    @WebSocketService({ path: '/basic', auth: [{ type: 'basic', users }], requiredScopes: ['chat'] })
    class BasicService {
      @OnOpen() onOpen(caller: Caller) {
        return greetPrincipal(caller);
      }
    }
    @WebSocketService({ path: '/basic-admin', auth: [{ type: 'basic', users }], requiredScopes: ['admin'] })
    class AdminService {}
    const { url } = await startServices([BasicService, AdminService]);
    const client = await TestClient.connect(url('/basic'), undefined, { headers: { Authorization: basic('ada', 'lovelace') } });
    expect(await client.nextText()).toBe('ada [chat]');
    const none = await rawUpgrade(url('/basic'));
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="duet"/);
    expect((await rawUpgrade(url('/basic'), { Authorization: basic('ada', 'wrong') })).status).toBe(401);
    expect((await rawUpgrade(url('/basic'), { Authorization: basic('nobody', 'lovelace') })).status).toBe(401);
    expect((await rawUpgrade(url('/basic-admin'), { Authorization: basic('ada', 'lovelace') })).status).toBe(403);
  });

  describe('JWT', () => {
    @WebSocketService({
      path: '/jwt',
      auth: [{ type: 'jwt', secret: SECRET, issuer: 'duet-tests', audience: 'chat', queryParam: 'access_token' }],
      requiredScopes: ['chat:read'],
    })
    class JwtService {
      @OnUpgrade() onUpgrade(request: UpgradeRequest) {
        upgradeSaw = request.principal;
      }
      @OnOpen() onOpen(caller: Caller) {
        return greetPrincipal(caller);
      }
    }

    it('accepts a valid Bearer token; the principal reaches @OnUpgrade and the caller', async () => {
      const { url } = await startServices([JwtService]);
      const jwt = await token({ sub: 'ann', scope: 'chat:read chat:write' });
      const client = await TestClient.connect(url('/jwt'), undefined, { headers: { Authorization: `Bearer ${jwt}` } });
      expect(await client.nextText()).toBe('ann [chat:read,chat:write]');
      expect(upgradeSaw?.name).toBe('ann');
    });

    it('takes the token from the query parameter for browsers', async () => {
      const { url } = await startServices([JwtService]);
      const jwt = await token({ sub: 'bob', scope: ['chat:read'] });
      const client = await TestClient.connect(url(`/jwt?access_token=${jwt}`));
      expect(await client.nextText()).toBe('bob [chat:read]');
    });

    it.each([
      ['no token', async () => undefined, 401],
      ['an expired token', () => token({ scope: 'chat:read' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), 401],
      ['a wrong audience', () => token({ scope: 'chat:read' }, { audience: 'billing' }), 401],
      ['a bad signature', () => token({ scope: 'chat:read' }, { secret: 'another-secret-that-is-32-bytes-long!' }), 401],
      ['a missing scope', () => token({ scope: 'chat:write' }), 403],
      ['a token issued in the future', () => token({ scope: 'chat:read' }, { issuedAt: Math.floor(Date.now() / 1000) + 120 }), 401],
    ])('answers %s with the right status', async (_what, make, status) => {
      const { url } = await startServices([JwtService]);
      const jwt = await make();
      const response = await rawUpgrade(url('/jwt'), jwt === undefined ? {} : { Authorization: `Bearer ${jwt}` });
      expect(response.status).toBe(status);
      if (status === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(response.body).not.toMatch(/jose|JWS|JWT.*claim/i);
    });
  });

  it('accepts a token issued in the future within clockTolerance, and refuses one beyond it', async () => {
    @WebSocketService({ path: '/tolerant', auth: [{ type: 'jwt', secret: SECRET, clockTolerance: 30 }] })
    class TolerantService {
      @OnOpen() onOpen(caller: Caller) {
        return greetPrincipal(caller);
      }
    }
    const { url } = await startServices([TolerantService]);
    const now = Math.floor(Date.now() / 1000);
    const skewed = await token({ sub: 'dora', scope: 'x' }, { issuedAt: now + 10 });
    const client = await TestClient.connect(url('/tolerant'), undefined, { headers: { Authorization: `Bearer ${skewed}` } });
    expect(await client.nextText()).toBe('dora [x]');
    const early = await token({ sub: 'dora', scope: 'x' }, { issuedAt: now + 90 });
    const refused = await rawUpgrade(url('/tolerant'), { Authorization: `Bearer ${early}` });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The token was issued in the future"');
  });

  describe('a custom authenticator from the container', () => {
    @injectable()
    class ApiKeys {
      owner(key: string | undefined): string | undefined {
        return key === 'k-123' ? 'robot' : undefined;
      }
    }

    @injectable()
    class ApiKeyAuthenticator implements Authenticator {
      readonly scheme = 'ApiKey';
      constructor(@inject(ApiKeys) private readonly keys: ApiKeys) {}
      authenticate(request: UpgradeRequest): Principal | undefined {
        const owner = this.keys.owner(request.headers['x-api-key'] as string | undefined);
        return owner === undefined ? undefined : { name: owner, scopes: ['machine'] };
      }
    }

    @WebSocketService({ path: '/custom', auth: [ApiKeyAuthenticator, { type: 'jwt', secret: SECRET }] })
    class CustomService {
      @OnOpen() onOpen(caller: Caller) {
        return greetPrincipal(caller);
      }
    }

    it('uses its injected dependencies, falls through to the next entry, and names every scheme on 401', async () => {
      const { url } = await startServices([CustomService], (container) => container.bind(ApiKeys).toSelf());
      const byKey = await TestClient.connect(url('/custom'), undefined, { headers: { 'X-Api-Key': 'k-123' } });
      expect(await byKey.nextText()).toBe('robot [machine]');
      const jwt = await token({ sub: 'carol', scope: 'x' });
      const byToken = await TestClient.connect(url('/custom'), undefined, { headers: { Authorization: `Bearer ${jwt}` } });
      expect(await byToken.nextText()).toBe('carol [x]');
      const refused = await rawUpgrade(url('/custom'), { 'X-Api-Key': 'wrong' });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('ApiKey, Bearer');
    });
  });
});

describe('an authenticator that fails instead of accepting or refusing', () => {
  class NamelessAuthenticator implements Authenticator {
    authenticate(): Principal {
      return { name: '', scopes: [] };
    }
  }

  @WebSocketService({ path: '/nameless', auth: [NamelessAuthenticator] })
  class NamelessService {}

  it('answers 500 and logs a coded AuthenticatorError naming the authenticator', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (_message, fields) => logged.push(fields?.error) };
    const { url } = await startServices([NamelessService], (container) => container.bind(LOGGER).toConstantValue(logger));
    const refused = await rawUpgrade(url('/nameless'));
    expect(refused.status).toBe(500);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toBeInstanceOf(AuthenticatorError);
    expect(logged[0]).toMatchObject({ code: 'DUET_ERR_AUTHENTICATOR', authenticator: 'NamelessAuthenticator', status: 500 });
  });
});
