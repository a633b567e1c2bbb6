import {
  Caller,
  OnOpen,
  OnText,
  OnUpgrade,
  UpgradeError,
  UpgradeRequest,
  WebSocketService,
} from '@duet/websocket';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { TestClient, cleanup, rawUpgrade, startServices, withTimeout } from './helpers';

afterEach(cleanup);

const seen: Record<string, unknown>[] = [];

@WebSocketService({ path: '/rooms/:room' })
class GuardedService {
  private user = '';

  @OnUpgrade()
  async onUpgrade(request: UpgradeRequest): Promise<unknown> {
    seen.push({
      method: request.method,
      url: request.url,
      path: request.path,
      params: { ...request.params },
      token: request.query.get('token'),
      cookies: { ...request.cookies },
      header: request.headers['x-client'],
      remoteAddress: request.remoteAddress,
      secure: request.secure,
    });
    if (request.query.get('token') !== 'good') {
      throw new UpgradeError(401, 'a valid token is required', { 'WWW-Authenticate': 'Token', 'X-Reason': 'no-token' });
    }
    if (request.params.room === 'closed') throw new UpgradeError(451, 'room closed for legal reasons');
    if (request.params.room === 'broken') throw new Error('secret failure inside the hook');
    await new Promise((resolve) => setTimeout(resolve, 10));
    this.user = request.cookies.user ?? 'anonymous';
    return { headers: { 'X-Room': request.params.room, 'Bad\nHeader': 'x' } };
  }

  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    // State set by @OnUpgrade on this connection's own instance, and the request on the caller.
    return caller.writeTextMessage(`${this.user} in ${caller.params.room} via ${caller.request.query.get('token')}`);
  }

  @OnText()
  onText(caller: Caller, text: string): string {
    return `${text}@${caller.request.path}`;
  }
}

describe('@OnUpgrade', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('refuses the upgrade with the status, body and headers of a thrown UpgradeError', async () => {
    const { url } = await startServices([GuardedService]);
    const response = await rawUpgrade(url('/rooms/lobby?token=bad'));
    expect(response.status).toBe(401);
    expect(response.body).toBe('a valid token is required\n');
    expect(response.headers['www-authenticate']).toBe('Token');
    expect(response.headers['x-reason']).toBe('no-token');
    expect((await rawUpgrade(url('/rooms/closed?token=good'))).status).toBe(451);
  });

  it('answers 500 without the internal message when the hook throws something else', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { url } = await startServices([GuardedService]);
      const response = await rawUpgrade(url('/rooms/broken?token=good'));
      expect(response.status).toBe(500);
      expect(response.body).not.toContain('secret');
      expect(logged).toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });

  it('sees method, path, params, query, headers, cookies and address, and adds returned headers to the 101', async () => {
    const { url } = await startServices([GuardedService]);
    const response = await rawUpgrade(url('/rooms/lobby?token=good&x=1'), {
      Cookie: 'user=ann%20lee; theme=dark',
      'X-Client': 'test-suite',
    });
    expect(response.status).toBe(101);
    expect(response.headers['x-room']).toBe('lobby');
    expect(response.headers['bad\nheader']).toBeUndefined();
    expect(seen[0]).toEqual({
      method: 'GET',
      url: '/rooms/lobby?token=good&x=1',
      path: '/rooms/lobby',
      params: { room: 'lobby' },
      token: 'good',
      cookies: { user: 'ann lee', theme: 'dark' },
      header: 'test-suite',
      remoteAddress: '127.0.0.1',
      secure: false,
    });
  });

  it('keeps the request and what the hook set reachable from the connection', async () => {
    const { url } = await startServices([GuardedService]);
    const client = await TestClient.connect(url('/rooms/lobby?token=good'), undefined, {
      headers: { Cookie: 'user=bob' },
    });
    expect(await client.nextText()).toBe('bob in lobby via good');
    client.send('hi');
    expect(await client.nextText()).toBe('hi@/rooms/lobby');
  });
});

let hookRuns = 0;
let cookiesSeen: Readonly<Record<string, string>> | undefined;

@WebSocketService({ path: '/checked', subProtocols: ['chat'] })
class CheckedService {
  @OnUpgrade()
  onUpgrade(request: UpgradeRequest): unknown {
    hookRuns++;
    cookiesSeen = request.cookies;
    switch (request.query.get('mode')) {
      case 'redirect':
        throw new UpgradeError(302, 'moved', { Location: '/elsewhere' });
      case 'success':
        throw new UpgradeError(200, 'fine?');
      case 'framing':
        throw new UpgradeError(403, 'not you', { 'Content-Length': '0', Connection: 'keep-alive', 'X-Why': 'framing' });
      case 'reserved':
        return {
          headers: {
            'Sec-WebSocket-Accept': 'forged',
            'sec-websocket-protocol': 'evil',
            'Sec-WebSocket-Extensions': 'permessage-deflate',
            Upgrade: 'h2c',
            Connection: 'keep-alive',
            'X-Room': 'lobby',
          },
        };
      default:
        return undefined;
    }
  }

  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage(`protocol=${caller.getNegotiatedSubProtocol() ?? 'none'}`);
  }
}

/** Writes a hand-made request head and returns the head of the answer (status line and headers). */
function rawHead(port: number, lines: string[]): Promise<string> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        const end = answer.indexOf('\r\n\r\n');
        if (end !== -1) {
          socket.destroy();
          resolve(answer.slice(0, end));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
    }),
    3000,
    'the answer to a hand-made upgrade',
  );
}

const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

describe('@OnUpgrade and the handshake', () => {
  beforeEach(() => {
    hookRuns = 0;
    cookiesSeen = undefined;
  });

  it.each([
    ['a malformed Sec-WebSocket-Key', ['GET /checked HTTP/1.1', 'Sec-WebSocket-Key: too-short', 'Sec-WebSocket-Version: 13'], 400],
    ['no Sec-WebSocket-Key', ['GET /checked HTTP/1.1', 'Sec-WebSocket-Version: 13'], 400],
    ['no Sec-WebSocket-Version', ['GET /checked HTTP/1.1', `Sec-WebSocket-Key: ${GOOD_KEY}`], 400],
    ['an unknown version', ['GET /checked HTTP/1.1', `Sec-WebSocket-Key: ${GOOD_KEY}`, 'Sec-WebSocket-Version: 14'], 426],
    ['a method other than GET', ['POST /checked HTTP/1.1', `Sec-WebSocket-Key: ${GOOD_KEY}`, 'Sec-WebSocket-Version: 13', 'Content-Length: 0'], 405],
    ['a malformed Sec-WebSocket-Protocol', ['GET /checked HTTP/1.1', `Sec-WebSocket-Key: ${GOOD_KEY}`, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: chat,,x'], 400],
  ] as [string, string[], number][])('does not run for a request with %s (answered as ws would)', async (_what, head, status) => {
    const { app } = await startServices([CheckedService]);
    const [requestLine, ...headers] = head;
    const answer = await rawHead(app.port(), [requestLine, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', ...headers]);
    expect(answer.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(hookRuns).toBe(0);
  });

  it('does not run for an Upgrade header that is not websocket', async () => {
    const { app } = await startServices([CheckedService]);
    const answer = await rawHead(app.port(), [
      'GET /checked HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: h2c',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${GOOD_KEY}`,
      'Sec-WebSocket-Version: 13',
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(hookRuns).toBe(0);
  });

  it("leaves out, with a warning, returned headers that would override the handshake's own", async () => {
    const warned = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { url } = await startServices([CheckedService]);
      const response = await rawUpgrade(url('/checked?mode=reserved'), { 'Sec-WebSocket-Key': GOOD_KEY });
      expect(response.status).toBe(101);
      const accept = createHash('sha1').update(`${GOOD_KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      expect(response.headers['sec-websocket-accept']).toBe(accept);
      expect(response.headers.upgrade).toBe('websocket');
      expect(response.headers.connection).toBe('Upgrade');
      expect(response.headers['sec-websocket-protocol']).toBeUndefined();
      expect(response.headers['sec-websocket-extensions']).toBeUndefined();
      expect(response.headers['x-room']).toBe('lobby');
      const names = warned.mock.calls.map((call) => (call[1] as { name?: string } | undefined)?.name);
      expect(names).toEqual(
        expect.arrayContaining(['Sec-WebSocket-Accept', 'sec-websocket-protocol', 'Sec-WebSocket-Extensions', 'Upgrade', 'Connection']),
      );
      // A real client completes the handshake with the sub-protocol it was offered.
      const client = await TestClient.connect(url('/checked?mode=reserved'), ['chat']);
      expect(await client.nextText()).toBe('protocol=chat');
    } finally {
      warned.mockRestore();
    }
  });

  it.each([
    ['redirect', 302],
    ['success', 200],
  ])('answers 500 and logs the mistake when an UpgradeError carries status %s (%s), outside 400-599', async (mode, status) => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { url } = await startServices([CheckedService]);
      const response = await rawUpgrade(url(`/checked?mode=${mode}`));
      expect(response.status).toBe(500);
      expect(response.headers.location).toBeUndefined();
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('400-599'), expect.objectContaining({ status }));
    } finally {
      logged.mockRestore();
    }
  });

  it("keeps a refusal's framing when an UpgradeError's headers name Content-Length or Connection", async () => {
    const { url } = await startServices([CheckedService]);
    const response = await rawUpgrade(url('/checked?mode=framing'));
    expect(response.status).toBe(403);
    expect(response.body).toBe('not you\n');
    expect(response.headers['content-length']).toBe('8');
    expect(response.headers.connection).toBe('close');
    expect(response.headers['x-why']).toBe('framing');
  });

  it('reads cookies named constructor, toString, hasOwnProperty and __proto__ as plain values', async () => {
    const { url } = await startServices([CheckedService]);
    const response = await rawUpgrade(url('/checked'), {
      Cookie: 'constructor=a; toString=b; __proto__=c; hasOwnProperty=d; session=e',
    });
    expect(response.status).toBe(101);
    const cookies = cookiesSeen!;
    expect([cookies.constructor, cookies.toString, cookies.__proto__, cookies.hasOwnProperty, cookies.session]).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(Object.keys(cookies)).toEqual(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'session']);
  });
});
