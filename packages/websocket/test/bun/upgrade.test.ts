// The upgrade line on the engine 'auto' picks (Bun's native server under `bun test`): the same
// answers as on ws for unknown paths, plain requests, Origin, authentication, @OnUpgrade
// (refusal with status, body and headers; headers added to the 101), path parameters,
// sub-protocols by the client's priority and maxConnections.
import {
  Caller,
  OnOpen,
  OnText,
  OnUpgrade,
  UpgradeError,
  UpgradeRequest,
  WebSocketService,
  hashPassword,
} from '@duet/websocket';
import { get } from 'node:http';
import { TestClient, eventually, rawUpgrade, withTimeout } from '../helpers';
import { NATIVE_ENGINE, startApp, stopAll } from './engine-helpers';

afterEach(stopAll);

const negotiated: (string | undefined)[] = [];

@WebSocketService({ path: '/rooms/:room', allowedOrigins: ['https://app.example.com'] })
class RoomService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage(`room ${caller.params.room} from ${caller.request.remoteAddress}`);
  }
}

// Reads its request only once a message comes: by then the connection keeps it packed (request-head.ts).
@WebSocketService({ path: '/late/:room' })
class LateReaderService {
  @OnText()
  onText(caller: Caller): string {
    const { request } = caller;
    const first = request.headers;
    return JSON.stringify({
      method: request.method,
      url: request.url,
      path: request.path,
      params: { ...request.params },
      token: request.query.get('token'),
      cookies: { ...request.cookies },
      headers: first,
      sameObject: first === request.headers,
      remoteAddress: request.remoteAddress,
      secure: request.secure,
      isSecure: caller.isSecure(),
      clientCertificate: request.clientCertificate ?? null,
    });
  }
}

// On a path without parameters and with no check or hook, the connection keeps only the packed
// head and makes the request from it at the first read: the same request, then the same object.
@WebSocketService({ path: '/late-plain' })
class LatePlainReaderService {
  private first: unknown;

  @OnText()
  onText(caller: Caller): string {
    const { request } = caller;
    this.first ??= request;
    return JSON.stringify({
      url: request.url,
      method: request.method,
      params: { ...request.params },
      token: request.query.get('token'),
      headers: request.headers,
      remoteAddress: request.remoteAddress,
      secure: request.secure,
      principal: caller.principal ?? null,
      sameObject: this.first === caller.request,
    });
  }
}

@WebSocketService({ path: '/guarded/:room' })
class GuardedService {
  private user = '';

  @OnUpgrade()
  onUpgrade(request: UpgradeRequest): { headers: Record<string, string> } {
    const token = request.query.get('token');
    if (token !== 'good') throw new UpgradeError(401, 'a valid token is required', { 'WWW-Authenticate': 'Token', 'X-Reason': 'no-token' });
    this.user = request.headers['x-user'] as string;
    return { headers: { 'X-Session': `s-${request.params.room}` } };
  }

  @OnText()
  onText(caller: Caller, text: string): string {
    return `${this.user}@${caller.params.room}: ${text}`;
  }
}

@WebSocketService({ path: '/protocols', subProtocols: ['json', 'mqtt'] })
class NegotiatingService {
  @OnOpen()
  onOpen(caller: Caller): void {
    negotiated.push(caller.getNegotiatedSubProtocol());
  }
}

const users: { username: string; passwordHash: string; scopes: string[] }[] = [];

@WebSocketService({ path: '/basic', auth: [{ type: 'basic', users }] })
class BasicService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage(`hello ${caller.principal?.name}`);
  }
}

function plainGet(url: string): Promise<number> {
  return withTimeout(
    new Promise((resolve, reject) => {
      get(url.replace(/^ws/, 'http'), (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    }),
    3000,
    'a plain GET',
  );
}

describe(`the upgrade on ${NATIVE_ENGINE}`, () => {
  beforeEach(() => {
    negotiated.length = 0;
  });

  it('answers 404 for a path no service has, and 426 to a plain GET on a service path', async () => {
    const { app, url } = await startApp([RoomService]);
    expect(app.engine).toBe(NATIVE_ENGINE);
    expect((await rawUpgrade(url('/nowhere'))).status).toBe(404);
    expect(await plainGet(url('/rooms/a'))).toBe(426);
    expect(await plainGet(url('/nowhere'))).toBe(404);
  });

  it('gives the path parameters and the peer address to the connection', async () => {
    const { url } = await startApp([RoomService]);
    const client = await TestClient.connect(url('/rooms/l%C3%B6bby'), undefined, { origin: 'https://app.example.com' });
    expect(await client.nextText()).toBe('room löbby from 127.0.0.1');
  });

  it('gives a handler that reads it late the whole upgrade request: target, query, cookies, headers, peer', async () => {
    const { url } = await startApp([LateReaderService]);
    const client = await TestClient.connect(url('/late/r%C3%B6om?token=t%201&x=2'), undefined, {
      headers: { 'X-Client': 'line one, line two', Cookie: 'a=1; b=%E2%9C%93' },
    });
    client.socket.send('tell me');
    const seen = JSON.parse(await client.nextText());
    expect(seen).toMatchObject({
      method: 'GET',
      url: '/late/r%C3%B6om?token=t%201&x=2',
      path: '/late/r%C3%B6om',
      params: { room: 'röom' },
      token: 't 1',
      cookies: { a: '1', b: '✓' },
      sameObject: true,
      remoteAddress: '127.0.0.1',
      secure: false,
      isSecure: false,
      clientCertificate: null,
    });
    expect(Object.keys(seen.headers).sort()).toEqual([
      'connection', 'cookie', 'host', 'sec-websocket-extensions', 'sec-websocket-key', 'sec-websocket-version', 'upgrade', 'x-client',
    ]);
    expect(seen.headers.connection).toBe('Upgrade');
    expect(seen.headers.host).toBe(new URL(url('/')).host);
    expect(seen.headers['x-client']).toBe('line one, line two');
    expect(seen.headers.cookie).toBe('a=1; b=%E2%9C%93');
    expect(seen.headers.upgrade).toBe('websocket');
    expect(seen.headers['sec-websocket-key']).toMatch(/^[+/0-9A-Za-z]{22}==$/);
    expect(seen.headers['sec-websocket-version']).toBe('13');
  });

  it('gives a handler of a plain path that reads it late the same request, as one object', async () => {
    const { url } = await startApp([LatePlainReaderService]);
    const client = await TestClient.connect(url('/late-plain?token=t%201'), undefined, { headers: { 'X-Client': 'one, two' } });
    client.socket.send('tell me');
    const seen = JSON.parse(await client.nextText());
    expect(seen).toMatchObject({ url: '/late-plain?token=t%201', method: 'GET', params: {}, token: 't 1', remoteAddress: '127.0.0.1', secure: false, principal: null, sameObject: true });
    expect(Object.keys(seen.headers).sort()).toEqual([
      'connection', 'host', 'sec-websocket-extensions', 'sec-websocket-key', 'sec-websocket-version', 'upgrade', 'x-client',
    ]);
    expect(seen.headers['x-client']).toBe('one, two');
    expect(seen.headers['sec-websocket-key']).toMatch(/^[+/0-9A-Za-z]{22}==$/);
    client.socket.send('again');
    expect(JSON.parse(await client.nextText())).toMatchObject({ sameObject: true, headers: seen.headers });
  });

  it('answers 403 to an Origin that is not allowed, and lets a client with no Origin (not a browser) in', async () => {
    const { url } = await startApp([RoomService]);
    const forged = await rawUpgrade(url('/rooms/a'), { Origin: 'https://evil.example.com' });
    expect(forged.status).toBe(403);
    expect(forged.body).toBe('Origin not allowed\n');
    expect((await rawUpgrade(url('/rooms/a'))).status).toBe(101);
    expect((await rawUpgrade(url('/rooms/a'), { Origin: 'https://app.example.com' })).status).toBe(101);
  });

  it('answers 401 without credentials or with a wrong password, and accepts the right one', async () => {
    users.splice(0, users.length, { username: 'ada', passwordHash: await hashPassword('lovelace', { ln: 10 }), scopes: [] });
    const { url } = await startApp([BasicService]);
    expect((await rawUpgrade(url('/basic'))).status).toBe(401);
    const basic = (password: string) => `Basic ${Buffer.from(`ada:${password}`).toString('base64')}`;
    expect((await rawUpgrade(url('/basic'), { Authorization: basic('wrong') })).status).toBe(401);
    const client = await TestClient.connect(url('/basic'), undefined, { headers: { Authorization: basic('lovelace') } });
    expect(await client.nextText()).toBe('hello ada');
  });

  it('refuses with the status, body and headers of an UpgradeError thrown by @OnUpgrade', async () => {
    const { url } = await startApp([GuardedService]);
    const response = await rawUpgrade(url('/guarded/lobby?token=bad'));
    expect(response.status).toBe(401);
    expect(response.body).toBe('a valid token is required\n');
    expect(response.headers['www-authenticate']).toBe('Token');
    expect(response.headers['x-reason']).toBe('no-token');
  });

  it("adds @OnUpgrade's headers to the 101 and keeps its state for the connection", async () => {
    const { url } = await startApp([GuardedService]);
    const accepted = await rawUpgrade(url('/guarded/lobby?token=good'), { 'X-User': 'ann' });
    expect(accepted.status).toBe(101);
    expect(accepted.headers['x-session']).toBe('s-lobby');
    const client = await TestClient.connect(url('/guarded/lobby?token=good'), undefined, { headers: { 'X-User': 'bob' } });
    client.send('hi');
    expect(await client.nextText()).toBe('bob@lobby: hi');
  });

  it("selects the sub-protocol by the client's priority among those the service supports", async () => {
    const { url } = await startApp([NegotiatingService]);
    const mqttFirst = await TestClient.connect(url('/protocols'), ['xml', 'mqtt', 'json']);
    expect(mqttFirst.socket.protocol).toBe('mqtt');
    const jsonFirst = await TestClient.connect(url('/protocols'), ['json', 'mqtt']);
    expect(jsonFirst.socket.protocol).toBe('json');
    await eventually(() => negotiated.length === 2, 2000, '@OnOpen twice');
    expect(negotiated).toEqual(['mqtt', 'json']);
  });

  it('agrees to no sub-protocol when none of the offers is supported (no header in the 101)', async () => {
    const { url } = await startApp([NegotiatingService]);
    const response = await rawUpgrade(url('/protocols'), { 'Sec-WebSocket-Protocol': 'xml, soap' });
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    await eventually(() => negotiated.length === 1, 2000, '@OnOpen');
    expect(negotiated).toEqual([undefined]);
  });

  it('answers 414 to a request target over maxUriLength and 431 to headers over maxHeaderSize', async () => {
    const { url } = await startApp([NegotiatingService], { listener: { port: 0, host: '127.0.0.1', maxUriLength: 1024, maxHeaderSize: 4096 } });
    expect((await rawUpgrade(url(`/protocols?q=${'a'.repeat(1100)}`))).status).toBe(414);
    expect((await rawUpgrade(url('/protocols'), { 'X-Big': 'b'.repeat(5000) })).status).toBe(431);
    expect((await rawUpgrade(url('/protocols'), { 'X-Fits': 'b'.repeat(3000) })).status).toBe(101);
  });

  it('answers 503 beyond maxConnections and accepts again once a connection has closed', async () => {
    const { url } = await startApp([NegotiatingService], { listener: { port: 0, host: '127.0.0.1', maxConnections: 2 } });
    const first = await TestClient.connect(url('/protocols'));
    await TestClient.connect(url('/protocols'));
    const refused = await rawUpgrade(url('/protocols'));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    first.socket.close();
    await first.waitClosed();
    await eventually(() => negotiated.length === 2, 2000, 'both opens');
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 101; attempt++) status = (await rawUpgrade(url('/protocols'))).status;
    expect(status).toBe(101);
  });
});
