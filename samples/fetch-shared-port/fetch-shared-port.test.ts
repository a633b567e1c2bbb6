import { request } from 'node:http';
import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

function http(url: string, method = 'GET', body?: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The status an upgrade request is answered with, or 101. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url);
    client.once('open', () => {
      client.close();
      resolve(101);
    });
    client.once('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    client.once('error', reject);
  });
}

describe.each([
  ['node', 'ws'],
  ['bun', 'bun'],
] as const)('sample: fetch-shared-port under %s', (runtime, engine) => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it(`serves the fetch app's page and routes and the WebSocket service on one port, on the ${engine} engine`, async () => {
    sample = new SampleProcess('fetch-shared-port', { PORT: '0' }, [], runtime);
    const port = await sample.port('HTTP\\+WS');
    expect(sample.output).toContain(`on the ${engine} engine`);
    const base = `http://127.0.0.1:${port}`;
    const [page, time, echo, missing] = await Promise.all([
      http(`${base}/`),
      http(`${base}/api/time`),
      http(`${base}/api/echo`, 'POST', 'posted body ✓'),
      http(`${base}/nowhere`),
    ]);
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('Duet and a fetch app on one port');
    expect(time.status).toBe(200);
    expect(Date.parse(JSON.parse(time.body).now)).not.toBeNaN();
    expect(echo).toMatchObject({ status: 200, body: 'posted body ✓' });
    expect(missing.status).toBe(404);
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const reply = new Promise<string>((resolve, reject) => {
      client.once('message', (data) => resolve(data.toString()));
      client.once('error', reject);
    });
    client.once('open', () => client.send('Hello!'));
    expect(await reply).toBe('Echo: Hello!');
    client.close();
    // An upgrade for a path no service has is not the app's: Duet answers it 404.
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/elsewhere`)).toBe(404);
  }, 30000);
});
