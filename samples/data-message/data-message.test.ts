import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket)).once('error', reject);
  });
}

function next(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => socket.once('message', (data: Buffer, isBinary) => resolve({ data, isBinary })));
}

describe('sample: data-message', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it("answers 'Hello!' with 'Echo: Hello!' on /ws and /ws/echo, and echoes binary", async () => {
    sample = new SampleProcess('data-message', { PORT: '0' });
    const port = await sample.port();
    for (const path of ['/ws', '/ws/echo']) {
      const client = await open(`ws://127.0.0.1:${port}${path}`);
      let reply = next(client);
      client.send('Hello!');
      expect((await reply).data.toString()).toBe('Echo: Hello!');
      reply = next(client);
      client.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      const binary = await reply;
      expect(binary.isBinary).toBe(true);
      expect(binary.data).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      client.close();
    }
  }, 30000);
});
