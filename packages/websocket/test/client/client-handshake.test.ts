// The client's opening handshake: headers, cookies and credentials the server receives,
// sub-protocol negotiation, and the typed errors of refused or failed handshakes.
import { type Server, createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import {
  Caller,
  ClientConfigError,
  ConnectError,
  HandshakeError,
  OnOpen,
  OnText,
  WebSocketClient,
  WebSocketService,
  type WebSocketClientConfig,
} from '@duet/websocket';
import { cleanup, startServices } from '../helpers';
import { type RawServer, startRawServer, switchingProtocols, trickle } from './raw-server';
import { closeAll, rejectionOf, startPlainServer, track } from './support';

afterEach(async () => {
  await closeAll();
  await cleanup();
});

@WebSocketService({ path: '/proto', subProtocols: ['json', 'xml'] })
class ProtocolService {
  @OnText()
  onText(): string {
    return 'ok';
  }
}

@WebSocketService({ path: '/whoami' })
class RequestEchoService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    const { headers, cookies } = caller.request;
    return caller.writeTextMessage(JSON.stringify({ tenant: headers['x-tenant'], cookies, authorization: headers.authorization }));
  }

  @OnText()
  onText(): undefined {
    return undefined;
  }
}

/** A bare server that is closed after the test, for handshakes `ws` would not produce. */
async function listen<T extends Server | ReturnType<typeof createTcpServer>>(server: T, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

async function shut(server: Server | ReturnType<typeof createTcpServer>, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
}

describe('WebSocketClient handshake', () => {
  it('sends custom headers, the cookies as one Cookie header, and Basic credentials', async () => {
    const server = await startPlainServer();
    track(
      await WebSocketClient.connect(server.url('/h'), {
        customHeaders: { 'X-Tenant': 'acme', 'X-Trace': 'abc 123' },
        cookies: { session: 's3cr3t', theme: 'dark' },
        auth: { username: 'alice', password: 'pä:ss' },
      }),
    );
    const { request } = await server.nextConnection();
    expect(request.headers['x-tenant']).toBe('acme');
    expect(request.headers['x-trace']).toBe('abc 123');
    expect(request.headers.cookie).toBe('session=s3cr3t; theme=dark');
    const credentials = request.headers.authorization ?? '';
    expect(credentials.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(credentials.slice(6), 'base64').toString('utf8')).toBe('alice:pä:ss');
  });

  it('sends headers, cookies and a Bearer token that a Duet service reads from its upgrade request', async () => {
    const { url } = await startServices([RequestEchoService]);
    const client = track(
      await WebSocketClient.connect(url('/whoami'), {
        customHeaders: { 'X-Tenant': 'acme' },
        cookies: { session: 's3cr3t', theme: 'dark' },
        auth: { token: 'abc.def' },
      }),
    );
    expect(JSON.parse(await client.readTextMessage())).toEqual({
      tenant: 'acme',
      cookies: { session: 's3cr3t', theme: 'dark' },
      authorization: 'Bearer abc.def',
    });
  });

  it('sends a Bearer token', async () => {
    const server = await startPlainServer();
    track(await WebSocketClient.connect(server.url(), { auth: { token: 'eyJhbGciOi.J9-_x/y+z=' } }));
    const { request } = await server.nextConnection();
    expect(request.headers.authorization).toBe('Bearer eyJhbGciOi.J9-_x/y+z=');
  });

  it('offers its sub-protocols and reports the one a Duet service selected', async () => {
    const { url } = await startServices([ProtocolService]);
    const client = track(await WebSocketClient.connect(url('/proto'), { subProtocols: ['xml', 'json'] }));
    expect(client.getNegotiatedSubProtocol()).toBe('xml');
    expect(client.getHttpResponseHeaders()['sec-websocket-protocol']).toBe('xml');
  });

  it('offers its sub-protocols in order to a plain ws server and reports its choice', async () => {
    let offered: string[] = [];
    const server = await startPlainServer({
      wsOptions: {
        handleProtocols: (protocols) => {
          offered = [...protocols];
          return 'chat.v2';
        },
      },
    });
    const client = track(await WebSocketClient.connect(server.url(), { subProtocols: ['chat.v1', 'chat.v2'] }));
    expect(offered).toEqual(['chat.v1', 'chat.v2']);
    expect(client.getNegotiatedSubProtocol()).toBe('chat.v2');
  });

  it('fails with ConnectError when the server selects none of the offered sub-protocols', async () => {
    const { url } = await startServices([ProtocolService]);
    const error = await rejectionOf(WebSocketClient.connect(url('/proto'), { subProtocols: ['yaml'] }));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toMatch(/subprotocol/);
  });

  it('rejects a refused handshake with HandshakeError carrying the status and body', async () => {
    const server = createServer();
    const sockets = new Set<Socket>();
    server.on('upgrade', (_request, socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nno entry for robots');
    });
    const port = await listen(server, sockets);
    try {
      const error = await rejectionOf(WebSocketClient.connect(`ws://127.0.0.1:${port}/`));
      expect(error).toBeInstanceOf(HandshakeError);
      expect(error).toMatchObject({ name: 'HandshakeError', code: 'DUET_ERR_HANDSHAKE', status: 403, body: 'no entry for robots' });
      // Plain values only: it serialises without a socket or request in it.
      expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'HandshakeError', code: 'DUET_ERR_HANDSHAKE', status: 403, body: 'no entry for robots' });
    } finally {
      await shut(server, sockets);
    }
  });

  it('rejects an unknown path of a Duet service with HandshakeError 404', async () => {
    const { url } = await startServices([ProtocolService]);
    const error = await rejectionOf(WebSocketClient.connect(url('/nowhere')));
    expect(error).toMatchObject({ name: 'HandshakeError', status: 404 });
  });

  it('rejects with ConnectError ECONNREFUSED when nothing listens', async () => {
    const server = await startPlainServer();
    const url = server.url();
    await server.close();
    const error = await rejectionOf(WebSocketClient.connect(url));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: 'DUET_ERR_CONNECT', systemCode: 'ECONNREFUSED' });
  });

  it('gives up a handshake the server never answers after handshakeTimeout', async () => {
    const server = createTcpServer(() => {}); // accepts and stays silent
    const sockets = new Set<Socket>();
    const port = await listen(server, sockets);
    try {
      const started = Date.now();
      const error = await rejectionOf(WebSocketClient.connect(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 0.2 }));
      expect(error).toBeInstanceOf(ConnectError);
      expect(error.message).toMatch(/timed out/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await shut(server, sockets);
    }
  });

  describe('handshakeTimeout is a deadline, not an inactivity timer', () => {
    const raws: RawServer[] = [];
    afterEach(async () => {
      await Promise.all(raws.splice(0).map((raw) => raw.close()));
    });

    /** Connects with handshakeTimeout 0.3 s to a server that writes `answer` one byte every 20 ms. */
    async function connectToTrickler(answer: (head: string) => string): Promise<{ error: Error; took: number; raw: RawServer }> {
      const raw = await startRawServer((socket, head) => trickle(socket, answer(head), 20));
      raws.push(raw);
      const started = Date.now();
      const error = await rejectionOf(WebSocketClient.connect(raw.url, { handshakeTimeout: 0.3 }), 1500);
      return { error, took: Date.now() - started, raw };
    }

    it('fails with ConnectError ETIMEDOUT at handshakeTimeout when the server trickles its 101', async () => {
      const { error, took, raw } = await connectToTrickler(switchingProtocols);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ systemCode: 'ETIMEDOUT' });
      expect(error.message).toMatch(/timed out after 0.3 s/);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(800);
      expect(raw.accepted).toBe(1);
    });

    it('fails with ConnectError ETIMEDOUT at handshakeTimeout when the server trickles the status line of a refusal', async () => {
      const { error, took } = await connectToTrickler(() => 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ systemCode: 'ETIMEDOUT' });
      expect(took).toBeLessThan(800);
    });

    it('fails with HandshakeError and the body so far at handshakeTimeout when the server trickles the body of a refusal', async () => {
      const raw = await startRawServer((socket) => {
        socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 200\r\n\r\n');
        trickle(socket, 'x'.repeat(200), 20);
      });
      raws.push(raw);
      const started = Date.now();
      const error = await rejectionOf(WebSocketClient.connect(raw.url, { handshakeTimeout: 0.3 }), 1500);
      const took = Date.now() - started;
      expect(error).toBeInstanceOf(HandshakeError);
      expect(error).toMatchObject({ status: 503 });
      expect((error as HandshakeError).body).toMatch(/^x+$/);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(800);
    });
  });
});

describe('WebSocketClient configuration', () => {
  const invalid: [string, unknown, WebSocketClientConfig | undefined, string][] = [
    ['a non-WebSocket URL', 'http://127.0.0.1/', undefined, 'url'],
    ['a URL with a fragment', 'ws://127.0.0.1/#x', undefined, 'url'],
    ['a header the handshake owns', 'ws://127.0.0.1/', { customHeaders: { 'Sec-WebSocket-Key': 'x' } }, 'customHeaders.Sec-WebSocket-Key'],
    ['a header value with a line break', 'ws://127.0.0.1/', { customHeaders: { 'X-A': 'a\r\nB: c' } }, 'customHeaders.X-A'],
    ['cookies next to a Cookie header', 'ws://127.0.0.1/', { cookies: { a: 'b' }, customHeaders: { cookie: 'x=y' } }, 'cookies'],
    ['a cookie value with a semicolon', 'ws://127.0.0.1/', { cookies: { a: 'b;c' } }, 'cookies.a'],
    ['auth next to an Authorization header', 'ws://127.0.0.1/', { auth: { token: 't' }, customHeaders: { Authorization: 'x' } }, 'auth'],
    ['a user name with a colon', 'ws://127.0.0.1/', { auth: { username: 'a:b', password: 'c' } }, 'auth.username'],
    ['a negative read timeout', 'ws://127.0.0.1/', { readTimeout: -1 }, 'readTimeout'],
    ['a fractional maxFrameSize', 'ws://127.0.0.1/', { maxFrameSize: 1.5 }, 'maxFrameSize'],
    ['a backOffFactor below 1', 'ws://127.0.0.1/', { retryConfig: { backOffFactor: 0.5 } }, 'retryConfig.backOffFactor'],
    ['a jitter above 1', 'ws://127.0.0.1/', { retryConfig: { jitter: 2 } }, 'retryConfig.jitter'],
    ['secureSocket on a ws:// URL', 'ws://127.0.0.1/', { secureSocket: { enable: false } }, 'secureSocket'],
    ['a CA file that does not exist', 'wss://127.0.0.1/', { secureSocket: { cert: '/nonexistent/ca.pem' } }, 'secureSocket.cert'],
    ['a duplicated sub-protocol', 'ws://127.0.0.1/', { subProtocols: ['a', 'a'] }, 'subProtocols'],
    // Node turns a timer over 2^31-1 ms into 1 ms: every time is held to that bound, in milliseconds.
    ['an infinite handshakeTimeout', 'ws://127.0.0.1/', { handshakeTimeout: Infinity }, 'handshakeTimeout'],
    ['a handshakeTimeout half a millisecond over 2^31-1 ms', 'ws://127.0.0.1/', { handshakeTimeout: 2147483.6475 }, 'handshakeTimeout'],
    ['a NaN readTimeout', 'ws://127.0.0.1/', { readTimeout: NaN }, 'readTimeout'],
    ['a readTimeout over 2^31-1 ms', 'ws://127.0.0.1/', { readTimeout: 2147483.648 }, 'readTimeout'],
    ['an infinite writeTimeout', 'ws://127.0.0.1/', { writeTimeout: Infinity }, 'writeTimeout'],
    ['an infinite retry interval', 'ws://127.0.0.1/', { retryConfig: { interval: Infinity } }, 'retryConfig.interval'],
    ['a maxWaitInterval over 2^31-1 ms', 'ws://127.0.0.1/', { retryConfig: { maxWaitInterval: 2147483.648 } }, 'retryConfig.maxWaitInterval'],
    ['an infinite minUptime', 'ws://127.0.0.1/', { retryConfig: { minUptime: Infinity } }, 'retryConfig.minUptime'],
    ['a negative minUptime', 'ws://127.0.0.1/', { retryConfig: { minUptime: -1 } }, 'retryConfig.minUptime'],
  ];

  it.each(invalid)('rejects %s with ClientConfigError naming the option', async (_what, url, config, field) => {
    const error = await rejectionOf(WebSocketClient.connect(url as string, config));
    expect(error).toBeInstanceOf(ClientConfigError);
    expect(error).toMatchObject({ code: 'DUET_ERR_CLIENT_CONFIG', field });
    expect(error.message).toContain(`'${field}'`);
  });

  it('accepts every timeout up to exactly 2^31-1 ms and waits that long instead of firing at once', async () => {
    const longest = 2147483.647; // seconds: 2^31-1 ms
    const server = await startPlainServer({ onConnection: (socket) => socket.on('message', (data, isBinary) => setTimeout(() => socket.send(data, { binary: isBinary }), 150)) });
    const client = track(
      await WebSocketClient.connect(server.url(), {
        handshakeTimeout: longest,
        readTimeout: longest,
        writeTimeout: longest,
        retryConfig: { interval: longest, maxWaitInterval: longest, minUptime: longest },
      }),
    );
    await client.writeTextMessage('slow echo');
    expect(await client.readTextMessage()).toBe('slow echo');
  });
});
