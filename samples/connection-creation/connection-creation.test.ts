import { request } from 'node:http';
import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

function broadcast(port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/broadcaster/broadcast' }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
}

describe('sample: connection-creation', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it('broadcasts the body of POST /broadcaster/broadcast to every connected client and answers OK', async () => {
    sample = new SampleProcess('connection-creation', { PORT: '0', BROADCASTER_PORT: '0' });
    const wsPort = await sample.port('WS');
    const httpPort = await sample.port('HTTP');
    expect(sample.output).toContain('curl -d "Hello!"');
    const clients = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${wsPort}/ws`);
            socket.once('open', () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    const received = clients.map(nextMessage);
    const answer = await broadcast(httpPort, 'Hello!');
    expect(answer).toEqual({ status: 200, text: 'OK' });
    expect(await Promise.all(received)).toEqual(['Hello!', 'Hello!', 'Hello!']);
    for (const client of clients) client.close();
  }, 30000);
});
