import { get } from 'node:http';
import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

interface Member {
  socket: WebSocket;
  events: { type?: string; id?: number; from: string; text?: string; room: string }[];
}

function join(port: number, room: string, name: string): Promise<Member> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/chat/${room}?name=${encodeURIComponent(name)}`);
    const member: Member = { socket, events: [] };
    socket.on('message', (data) => member.events.push(JSON.parse(data.toString())));
    socket.once('open', () => resolve(member));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('sample: chat (the npm start demo)', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it('serves the page and a room chat on one port: a message reaches everyone in the room, nobody elsewhere', async () => {
    sample = new SampleProcess('chat', { PORT: '0', REDIS_URL: '' });
    const port = await sample.port('HTTP\\+WS');
    const page = await fetchText(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Duet chat</title>');
    const ann = await join(port, 'lobby', 'ann');
    const bob = await join(port, 'lobby', 'bob');
    const cat = await join(port, 'kitchen', 'cat');
    await until(() => ann.events.some((event) => event.type === 'joined' && event.from === 'bob'), 'bob joining');
    // The contract's wire format (docs/client.md): a request named by `type`, with an id.
    bob.socket.send(JSON.stringify({ type: 'say', id: 1, text: 'hello ann' }));
    await until(() => ann.events.some((event) => event.text === 'hello ann'), 'the message at ann');
    await until(() => bob.events.some((event) => event.text === 'hello ann'), 'the message echoed to bob');
    expect(ann.events.find((event) => event.text === 'hello ann')).toMatchObject({ type: 'said', from: 'bob', room: 'lobby' });
    await until(() => bob.events.some((event) => event.id === 1 && typeof (event as { at?: unknown }).at === 'string'), 'the reply to bob');
    bob.socket.send(JSON.stringify({ type: 'say', id: 2, text: '   ' }));
    await until(() => bob.events.some((event) => event.id === 2), 'the refusal of an empty message');
    expect(bob.events.find((event) => event.id === 2)).toMatchObject({ type: 'error', issues: [{ message: 'say something', path: ['text'] }] });
    expect(cat.events.every((event) => event.room === 'kitchen')).toBe(true);
    await expect(join(port, 'lobby', '')).rejects.toThrow('HTTP 400');
    bob.socket.close();
    await until(() => ann.events.some((event) => event.type === 'left' && event.from === 'bob'), 'bob leaving');
    ann.socket.close();
    cat.socket.close();
  }, 30000);
});
