// @duet/client's token refresh against a real Duet service with JWT auth: refreshToken(token)
// and a tokenProvider that renews on its own, with real short-lived tokens.
import { SignJWT } from 'jose';
import { z } from 'zod';
import { Caller, OnMessage, WebSocketService } from '@duet/websocket';
import { TokenRefreshError, createClient, defineContract } from '@duet/client';
import { cleanup, eventually, pause, rejection, startApp, track } from './helpers';

afterEach(cleanup);

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

function token(sub: string, seconds: number, claims: Record<string, unknown> = {}, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(secret));
}

const account = defineContract({
  path: '/account',
  requests: { whoami: { message: z.object({}), reply: z.object({ name: z.string(), role: z.string() }) } },
  messages: { restart: { message: z.object({}) } },
  events: {},
});

@WebSocketService({ contract: account, auth: [{ type: 'jwt', secret: SECRET }] })
class AccountService {
  @OnMessage('whoami') whoami(caller: Caller) {
    return { name: caller.principal!.name, role: String(caller.principal!.claims?.role) };
  }

  /** A close the client retries (1012, service restart). */
  @OnMessage('restart') restart(caller: Caller) {
    return caller.close(1012, 'restart');
  }
}

describe('token refresh from @duet/client', () => {
  it('refreshToken resolves once the server took the token, and the connection runs on it', async () => {
    const { port } = await startApp([AccountService]);
    const first = await token('ann', 30, { role: 'reader' });
    const client = track(createClient(account, `ws://127.0.0.1:${port}`, { headers: { Authorization: `Bearer ${first}` }, reconnect: false }));
    await client.opened();
    await client.refreshToken(await token('ann', 30, { role: 'editor' }));
    expect(await client.request('whoami', {})).toEqual({ name: 'ann', role: 'editor' });
  });

  it('refreshToken rejects with TokenRefreshError carrying the server code for a bad token; the client stays open', async () => {
    const { port } = await startApp([AccountService]);
    const client = track(createClient(account, `ws://127.0.0.1:${port}`, { headers: { Authorization: `Bearer ${await token('ann', 30)}` }, reconnect: false }));
    await client.opened();
    const error = await rejection(client.refreshToken(await token('ann', 30, {}, 'another-secret-that-is-32-bytes-long!')));
    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error.code).toBe('DUET_ERR_TOKEN_REFRESH');
    expect(error.remoteCode).toBe('DUET_ERR_AUTHENTICATION');
    expect(client.state).toBe('open');
    expect((await client.request('whoami', {})).name).toBe('ann');
  });

  it("asks the tokenProvider for each connect: a reconnect runs on the provider's next token", async () => {
    const { port } = await startApp([AccountService]);
    let issued = 0;
    const tokenProvider = () => token('ann', 30, { role: `token-${++issued}` });
    const client = track(createClient(account, `ws://127.0.0.1:${port}`, { tokenProvider, reconnect: { initialDelay: 0.05 } }));
    await client.opened();
    expect((await client.request('whoami', {})).role).toBe('token-1');
    client.send('restart', {});
    await eventually(() => client.state === 'reconnecting', 3000, 'the drop');
    await client.opened();
    expect((await client.request('whoami', {})).role).toBe('token-2');
  });

  it('with a tokenProvider, renews the token on its own and stays open past the first token’s expiry', async () => {
    const { port } = await startApp([AccountService]);
    let issued = 0;
    const tokenProvider = () => token('ann', 2, { role: `token-${++issued}` });
    const client = track(createClient(account, `ws://127.0.0.1:${port}`, { tokenProvider, reconnect: false }));
    await client.opened();
    const states: string[] = [];
    client.onStateChange((state) => states.push(state));
    expect((await client.request('whoami', {})).role).toBe('token-1');
    // The first token expires 1 to 2 s after the connect; 3 s later the connection is the same one.
    await pause(3000);
    expect(client.state).toBe('open');
    expect(states).toEqual([]);
    expect(issued).toBeGreaterThanOrEqual(3);
    expect((await client.request('whoami', {})).role).toBe(`token-${issued}`);
  });

  it("reconnects with the provider's next token after a 1008 token expired (a renewal that failed), where a 1008 is otherwise final", async () => {
    const { port } = await startApp([AccountService]);
    let calls = 0;
    const tokenProvider = async () => {
      calls += 1;
      // The renewal (second call) fails: the first token runs out and the server closes.
      if (calls === 2) throw new Error('the identity provider is down');
      return token('ann', calls === 1 ? 1 : 30, { role: `call-${calls}` });
    };
    const client = track(createClient(account, `ws://127.0.0.1:${port}`, { tokenProvider, reconnect: { initialDelay: 0.05 } }));
    await client.opened();
    const states: string[] = [];
    client.onStateChange((state) => states.push(state));
    await eventually(() => states.includes('open'), 4000, 'the reconnect');
    expect(states).toEqual(['reconnecting', 'open']);
    expect(await client.request('whoami', {})).toEqual({ name: 'ann', role: `call-${calls}` });
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});
