import { get } from 'node:http';
import { Caller, OnOpen, OnText, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, rawUpgrade, startServices, withTimeout } from './helpers';

afterEach(cleanup);

@WebSocketService({ path: '/one' })
class OneService {
  @OnText()
  onText(): string {
    return 'one';
  }
}

@WebSocketService({ path: '/two' })
class TwoService {
  @OnText()
  onText(): string {
    return 'two';
  }
}

@WebSocketService({ path: '/rooms/:room' })
class RoomService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage(`room=${caller.params.room}`);
  }
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      get(url.replace(/^ws/, 'http'), (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      }).on('error', reject);
    }),
    3000,
    `GET ${url}`,
  );
}

describe('the upgrade', () => {
  it('answers 404 without upgrading for a path no service has', async () => {
    const { url } = await startServices([OneService]);
    const response = await rawUpgrade(url('/nowhere'));
    expect(response.status).toBe(404);
    expect(response.headers.upgrade).toBeUndefined();
  });

  it('serves several services on one port, each on its own path', async () => {
    const { url } = await startServices([OneService, TwoService]);
    const one = await TestClient.connect(url('/one'));
    const two = await TestClient.connect(url('/two'));
    one.send('?');
    two.send('?');
    expect(await one.nextText()).toBe('one');
    expect(await two.nextText()).toBe('two');
  });

  it('answers 426 advertising exactly the versions it accepts (13 and 8; on Bun 13) to an unknown WebSocket version', async () => {
    const { app, url } = await startServices([OneService]);
    const response = await rawUpgrade(url('/one'), { 'Sec-WebSocket-Version': '12' });
    expect(response.status).toBe(426);
    // docs/engines.md: uWebSockets speaks RFC 6455 (13) only.
    const bun = app.engine === 'bun';
    expect(response.headers['sec-websocket-version']).toBe(bun ? '13' : '13, 8');
    expect((await rawUpgrade(url('/one'), { 'Sec-WebSocket-Version': '8' })).status).toBe(bun ? 426 : 101);
  });

  it('answers a plain HTTP request with 426 on a service path and 404 elsewhere', async () => {
    const { url } = await startServices([OneService]);
    expect((await httpGet(url('/one'))).status).toBe(426);
    expect((await httpGet(url('/other'))).status).toBe(404);
  });

  it('matches :param paths and gives the decoded parameters to the caller', async () => {
    const { url } = await startServices([RoomService]);
    const client = await TestClient.connect(url('/rooms/my%20room?x=1'));
    expect(await client.nextText()).toBe('room=my room');
    expect((await rawUpgrade(url('/rooms'))).status).toBe(404);
    expect((await rawUpgrade(url('/rooms/a/b'))).status).toBe(404);
  });
});

describe('plain HTTP requests on a listener', () => {
  it('go to the listener’s onRequest handler when it has one, while upgrades still reach services', async () => {
    const { url } = await startServices([OneService], undefined, {
      port: 0,
      host: '127.0.0.1',
      onRequest: (request, response) => response.end(`health ok for ${request.url}`),
    });
    const answer = await httpGet(url('/healthz'));
    expect(answer).toEqual({ status: 200, body: 'health ok for /healthz' });
    const client = await TestClient.connect(url('/one'));
    client.send('?');
    expect(await client.nextText()).toBe('one');
  });
});
