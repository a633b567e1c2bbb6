// Replies to messages that arrive in one read leave in one write, and never wait for more:
// checked over a real socket with bursts, reads that end inside a frame, and async handlers.
import { Socket } from 'node:net';
import { Caller, OnText, WebSocketService } from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame, serverFrame } from './conformance/raw-client';
import { cleanup, startServices } from './helpers';

// Raw sockets first: the apps' stop would otherwise wait for close handshakes they never answer.
afterEach(closeAllRawSockets);
afterEach(cleanup);

@WebSocketService({ path: '/batch' })
class BatchService {
  @OnText()
  onText(_caller: Caller, text: string): string | Promise<string> {
    if (text.startsWith('later ')) return new Promise((resolve) => setTimeout(() => resolve(`done ${text}`), 2));
    return `re ${text}`;
  }
}

function burst(messages: string[]): Buffer {
  return Buffer.concat(messages.map((payload) => encodeFrame({ opcode: Opcode.Text, payload })));
}

async function replies(client: RawClient, count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) frames.push((await client.nextFrame()).raw);
  return frames;
}

describe('replies to messages that arrive together', () => {
  it('answers every message of a burst, in order', async () => {
    const { app } = await startServices([BatchService]);
    const client = await RawClient.connect(app.port(), '/batch');
    const messages = Array.from({ length: 200 }, (_, i) => `message ${i}`);
    client.write(burst(messages));
    expect(await replies(client, 200)).toEqual(messages.map((text) => serverFrame(Opcode.Text, `re ${text}`)));
  });

  it('leave in one write', async () => {
    const { app } = await startServices([BatchService]);
    const client = await RawClient.connect(app.port(), '/batch');
    // Node's socket gathers corked chunks into one _writev; count the chunks of each.
    const proto = Socket.prototype as unknown as { _writev(chunks: unknown[], cb: (error?: Error | null) => void): void };
    const original = proto._writev;
    const gathered: number[] = [];
    proto._writev = function (this: Socket, chunks, cb) {
      gathered.push(chunks.length);
      return original.call(this, chunks, cb);
    };
    try {
      client.write(burst(Array.from({ length: 50 }, (_, i) => `m${i}`)));
      await replies(client, 50);
    } finally {
      proto._writev = original;
    }
    expect(gathered).toEqual([50]);
  });

  it('leave when the read ends inside a frame, without waiting for the rest of it', async () => {
    const { app } = await startServices([BatchService]);
    const client = await RawClient.connect(app.port(), '/batch');
    const bytes = burst(['one', 'two', 'three']);
    const cut = bytes.length - 3;
    client.write(bytes.subarray(0, cut));
    expect(await replies(client, 2)).toEqual([serverFrame(Opcode.Text, 're one'), serverFrame(Opcode.Text, 're two')]);
    client.write(bytes.subarray(cut));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 're three'));
  });

  it('lets the replies of async handlers out as each finishes', async () => {
    const { app } = await startServices([BatchService]);
    const client = await RawClient.connect(app.port(), '/batch');
    const messages = Array.from({ length: 10 }, (_, i) => `later ${i}`);
    client.write(burst(messages));
    expect(await replies(client, 10)).toEqual(messages.map((text) => serverFrame(Opcode.Text, `done ${text}`)));
  });
});
