import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

const SECRET = 'auth-chat-test-secret-0123456789abcdef';

function token(user: string, scope: string): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));
}

function join(url: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

let sampleOutput = () => '';

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; sample printed: ${sampleOutput()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('sample: auth-chat', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it('lets token holders with the chat scope talk in their room, and refuses the others', async () => {
    sample = new SampleProcess('auth-chat', { PORT: '0', JWT_SECRET: SECRET });
    sampleOutput = () => sample.output;
    const port = await sample.port();
    const base = `ws://127.0.0.1:${port}/chat`;
    const alice = await join(`${base}/lobby`, { Authorization: `Bearer ${await token('alice', 'chat')}` });
    const bob = await join(`${base}/lobby?access_token=${await token('bob', 'chat')}`);
    const carol = await join(`${base}/kitchen?access_token=${await token('carol', 'chat')}`);
    await until(() => alice.messages.includes('* bob joined lobby'));
    bob.socket.send('hi alice');
    await until(() => alice.messages.includes('bob: hi alice'));
    expect(carol.messages).toEqual(['* carol joined kitchen']);
    await expect(join(`${base}/lobby`)).rejects.toThrow('HTTP 401');
    await expect(join(`${base}/lobby?access_token=${await token('eve', 'read')}`)).rejects.toThrow('HTTP 403');
    for (const member of [alice, bob, carol]) member.socket.close();
  }, 30000);
});
