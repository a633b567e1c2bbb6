// A fetch-style HTTP app sharing a listener's port (`listeners: { default: { port, fetch } }`),
// on both engines: every request that is not an upgrade goes to the app (bodies streamed in,
// status, headers and cookies out); upgrades still reach the services; a failing app is 500.
import { request as httpRequest } from 'node:http';
import { ListenerConfigError, OnText, WebSocketService } from '@duet/websocket';
import { TestClient, withTimeout } from '../helpers';
import { NATIVE_ENGINE, startApp, startFailure, stopAll } from './engine-helpers';

afterEach(stopAll);

@WebSocketService({ path: '/ws' })
class EchoService {
  @OnText()
  onText(_caller: unknown, text: string): string {
    return `ws: ${text}`;
  }
}

async function app(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === '/fails') throw new Error('the app broke');
  if (request.method === 'POST') return new Response(`got ${await request.text()}`, { status: 201 });
  const headers = new Headers({ 'X-App': 'fetch' });
  headers.append('Set-Cookie', 'a=1');
  headers.append('Set-Cookie', 'b=2');
  return new Response(`${request.method} ${pathname}`, { headers });
}

interface Answer {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

function send(port: number, method: string, path: string, body?: string): Promise<Answer> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, agent: false }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    }),
    3000,
    `${method} ${path}`,
  );
}

const listener = { port: 0, host: '127.0.0.1', fetch: app };

describe(`a fetch-style app on the port, on ${NATIVE_ENGINE}`, () => {
  it('answers plain requests, with its status, headers and every cookie, on any path', async () => {
    const { app: started } = await startApp([EchoService], { listener });
    expect(started.engine).toBe(NATIVE_ENGINE);
    const health = await send(started.port(), 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toBe('GET /health');
    expect(health.headers['x-app']).toBe('fetch');
    expect(health.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect((await send(started.port(), 'GET', '/ws')).body).toBe('GET /ws');
  });

  it('streams a request body to the app', async () => {
    const { app: started } = await startApp([EchoService], { listener });
    const posted = await send(started.port(), 'POST', '/items', 'x'.repeat(100_000));
    expect(posted.status).toBe(201);
    expect(posted.body).toBe(`got ${'x'.repeat(100_000)}`);
  });

  it('leaves upgrades to the services', async () => {
    const { url } = await startApp([EchoService], { listener });
    const client = await TestClient.connect(url('/ws'));
    client.send('hi');
    expect(await client.nextText()).toBe('ws: hi');
  });

  it('answers 500 when the app throws', async () => {
    const { app: started } = await startApp([EchoService], { listener });
    expect((await send(started.port(), 'GET', '/fails')).status).toBe(500);
  });

  it("rejects start with ListenerConfigError naming 'fetch' when onRequest is given too", async () => {
    const error = await startFailure([EchoService], { listener: { ...listener, onRequest: () => undefined } });
    expect(error).toBeInstanceOf(ListenerConfigError);
    expect((error as ListenerConfigError).field).toBe('fetch');
  });
});
