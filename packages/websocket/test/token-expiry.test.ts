// Token expiry and refresh on live connections: real short-lived JWTs (exp a second or two
// ahead), real sockets, real timers on the server.
import { SignJWT } from 'jose';
import { Caller, ConnectionClosedError, OnText, TokenRefusedError, WebSocketClient, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, startServices } from './helpers';

afterEach(cleanup);

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const AUTH = [{ type: 'jwt' as const, secret: SECRET }];

/** A token for `sub` that expires `seconds` from now (JWT `exp` counts whole seconds). */
function token(sub: string, seconds: number, claims: Record<string, unknown> = {}, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(secret));
}

/** Answers any text with who the connection's principal is now. */
function whoAmI(caller: Caller): Promise<void> {
  const principal = caller.principal!;
  return caller.writeTextMessage(`${principal.name} [${principal.scopes.join(',')}] role=${String(principal.claims?.role)}`);
}

@WebSocketService({ path: '/expiring', auth: AUTH })
class ExpiringService {
  @OnText() onText(caller: Caller) {
    return whoAmI(caller);
  }
}

@WebSocketService({ path: '/lenient', auth: AUTH, tokenExpiry: 'ignore' })
class LenientService {
  @OnText() onText(caller: Caller) {
    return whoAmI(caller);
  }
}

@WebSocketService({ path: '/resumable', auth: AUTH, resume: { window: 10 } })
class ResumableService {
  @OnText() onText(caller: Caller) {
    return whoAmI(caller);
  }
}

const connect = (url: string, jwt: string) => TestClient.connect(url, undefined, { headers: { Authorization: `Bearer ${jwt}` } });
const refresh = (jwt: string) => JSON.stringify({ type: '$token', token: jwt });

describe('token expiry and refresh', () => {
  it('closes a connection with 1008 token expired when its JWT expires', async () => {
    const { url } = await startServices([ExpiringService]);
    const client = await connect(url('/expiring'), await token('ann', 2));
    const opened = Date.now();
    client.send('who');
    expect(await client.nextText()).toBe('ann [] role=undefined');
    expect(await client.waitClosed(4000)).toEqual({ code: 1008, reason: 'token expired' });
    // exp counts whole seconds: 1 to 2 s after the connect.
    expect(Date.now() - opened).toBeGreaterThanOrEqual(900);
  });

  it('keeps a connection open past the first expiry after a refresh, with the new scopes and claims', async () => {
    const { url } = await startServices([ExpiringService]);
    const client = await connect(url('/expiring'), await token('ann', 2));
    const renewed = await token('ann', 30, { scope: 'chat:read admin', role: 'moderator' });
    client.send(refresh(renewed));
    const ack = JSON.parse(await client.nextText()) as Record<string, unknown>;
    expect(ack).toMatchObject({ type: '$token', ok: true });
    expect(ack.expiresAt).toBeGreaterThan(Date.now() / 1000 + 20);
    // Past the first token's expiry (at most 2 s away), still open, as the new principal.
    await new Promise((resolve) => setTimeout(resolve, 2600));
    client.send('who');
    expect(await client.nextText()).toBe('ann [chat:read,admin] role=moderator');
  });

  it('closes with 1008 principal changed when the new token names another subject', async () => {
    const { url } = await startServices([ExpiringService]);
    const warned = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const client = await connect(url('/expiring'), await token('ann', 30));
      client.send(refresh(await token('mallory', 30)));
      expect(await client.waitClosed()).toEqual({ code: 1008, reason: 'principal changed' });
      expect(warned.mock.calls.map(([message]) => message)).toContain('[duet] a token refresh named another principal; closing with 1008');
    } finally {
      warned.mockRestore();
    }
  });

  it('refuses an invalid token with an error answer; the connection stays open until the current token expires', async () => {
    const { url } = await startServices([ExpiringService]);
    const client = await connect(url('/expiring'), await token('ann', 2));
    client.send(refresh(await token('ann', 30, {}, 'another-secret-that-is-32-bytes-long!')));
    expect(JSON.parse(await client.nextText())).toEqual({
      type: '$token',
      ok: false,
      code: 'DUET_ERR_AUTHENTICATION',
      message: 'The token signature is invalid.',
    });
    client.send(refresh('not a token'));
    expect(JSON.parse(await client.nextText())).toMatchObject({ type: '$token', ok: false, code: 'DUET_ERR_AUTHENTICATION' });
    client.send('who');
    expect(await client.nextText()).toBe('ann [] role=undefined');
    expect(await client.waitClosed(4000)).toEqual({ code: 1008, reason: 'token expired' });
  });

  it("keeps a connection open past its token's expiry under tokenExpiry: 'ignore'", async () => {
    const { url } = await startServices([LenientService]);
    const client = await connect(url('/lenient'), await token('ann', 1));
    await new Promise((resolve) => setTimeout(resolve, 1600));
    client.send('who');
    expect(await client.nextText()).toBe('ann [] role=undefined');
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it("takes a resumed session's new credentials: the principal and its expiry are the resuming upgrade's", async () => {
    const { url } = await startServices([ResumableService]);
    const first = await connect(url('/resumable?duet-resume=new'), await token('ann', 2));
    const session = JSON.parse(await first.nextText()) as { token: string };
    // The socket drops without a close frame: the session waits for a resume.
    first.socket.terminate();
    await first.waitClosed();
    const resumedUrl = url(`/resumable?duet-resume=${encodeURIComponent(session.token)}&duet-ack=0`);
    const second = await connect(resumedUrl, await token('ann', 30, { role: 'resumed' }));
    expect(JSON.parse(await second.nextText())).toMatchObject({ type: '$session', resumed: true });
    // Past the first token's expiry, still open, as the resuming upgrade's principal.
    await new Promise((resolve) => setTimeout(resolve, 2600));
    second.send('who');
    expect(await second.nextText()).toBe('ann [] role=resumed');
  });

  describe('from the pull client (WebSocketClient)', () => {
    it('refreshToken resolves once the server took the token; the answer never reaches the reads', async () => {
      const { url } = await startServices([ExpiringService]);
      const client = await WebSocketClient.connect(url('/expiring'), { auth: { token: await token('ann', 2) } });
      try {
        await client.refreshToken(await token('ann', 30, { role: 'editor' }));
        await new Promise((resolve) => setTimeout(resolve, 2600));
        await client.writeTextMessage('who');
        expect(await client.readTextMessage()).toBe('ann [] role=editor');
      } finally {
        await client.close();
      }
    });

    it('refreshToken rejects with TokenRefusedError for a bad token, and with ConnectionClosedError when another subject closes the connection', async () => {
      const { url } = await startServices([ExpiringService]);
      const client = await WebSocketClient.connect(url('/expiring'), { auth: { token: await token('ann', 30) } });
      const refused = await client.refreshToken(await token('ann', 30, {}, 'another-secret-that-is-32-bytes-long!')).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TokenRefusedError);
      expect((refused as TokenRefusedError).remoteCode).toBe('DUET_ERR_AUTHENTICATION');
      await client.writeTextMessage('who');
      expect(await client.readTextMessage()).toBe('ann [] role=undefined');
      const warned = jest.spyOn(console, 'warn').mockImplementation(() => {});
      const closed = await client.refreshToken(await token('mallory', 30)).catch((error: unknown) => error);
      warned.mockRestore();
      expect(closed).toBeInstanceOf(ConnectionClosedError);
      expect((closed as ConnectionClosedError).closeCode).toBe(1008);
      expect((closed as ConnectionClosedError).reason).toBe('principal changed');
    });
  });
});
