import { get } from 'node:http';
import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('sample: express-shared-port', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it('serves the static page, the REST route and the WebSocket service on one port', async () => {
    sample = new SampleProcess('express-shared-port', { PORT: '0' });
    const port = await sample.port('HTTP\\+WS');
    const [page, time] = await Promise.all([
      httpGet(`http://127.0.0.1:${port}/`),
      httpGet(`http://127.0.0.1:${port}/api/time`),
    ]);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Duet and Express on one port');
    expect(time.status).toBe(200);
    expect(Date.parse(JSON.parse(time.body).now)).not.toBeNaN();
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const reply = new Promise<string>((resolve, reject) => {
      client.once('message', (data) => resolve(data.toString()));
      client.once('error', reject);
    });
    client.once('open', () => client.send('Hello!'));
    expect(await reply).toBe('Echo: Hello!');
    client.close();
  }, 30000);
});
