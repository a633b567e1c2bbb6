// createClient's `compression` on Node: the offer it makes, RSV1 on what it sends (seen by a
// server writing its handshake by hand), and a typed request through a compressing service.
import { createHash } from 'node:crypto';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { constants, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { Caller, OnMessage, WebSocketService } from '@duet/websocket';
import { ClientOptionsError, createClient, defineContract } from '@duet/client';
import { cleanup, eventually, onCleanup, startApp, track } from './helpers';

afterEach(cleanup);

const Say = z.object({ text: z.string() });
const echo = defineContract({
  path: '/echo',
  requests: { say: { message: Say, reply: Say } },
  messages: { note: { message: Say } },
});

@WebSocketService({ contract: echo, compression: { threshold: 100 } })
class CompressingEchoService {
  @OnMessage('say', { schema: Say })
  onSay(_caller: Caller, message: z.infer<typeof Say>) {
    return { text: message.text };
  }

  @OnMessage('note', { schema: Say })
  onNote(): void {}
}

interface SeenFrame {
  rsv1: boolean;
  payload: Buffer;
}

/** A TCP server that answers the handshake with `answer` as its extension and unmasks every frame the client sends. */
async function handwrittenServer(answer: string | undefined): Promise<{ url: string; heads: string[]; frames: SeenFrame[] }> {
  const heads: string[] = [];
  const frames: SeenFrame[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let bytes = Buffer.alloc(0);
    let open = false;
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (!open) {
        const end = bytes.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = bytes.subarray(0, end).toString('latin1');
        heads.push(head);
        bytes = bytes.subarray(end + 4);
        open = true;
        const key = /sec-websocket-key: *(\S+)/i.exec(head)![1];
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        const extension = answer === undefined ? '' : `Sec-WebSocket-Extensions: ${answer}\r\n`;
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extension}\r\n`);
      }
      // Client frames: masked, and small enough here for a 16-bit length at most.
      while (bytes.length >= 6) {
        let length = bytes[1] & 0x7f;
        let at = 2;
        if (length === 126) {
          length = bytes.readUInt16BE(2);
          at = 4;
        }
        if (bytes.length < at + 4 + length) return;
        const mask = bytes.subarray(at, at + 4);
        const payload = Buffer.from(bytes.subarray(at + 4, at + 4 + length));
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
        // A close ends the exchange at once: the test is about data frames.
        if ((bytes[0] & 0x0f) === 0x8) socket.destroy();
        else frames.push({ rsv1: (bytes[0] & 0x40) !== 0, payload });
        bytes = bytes.subarray(at + 4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, heads, frames };
}

const inflated = (payload: Buffer) => inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();

describe('createClient on Node: compression', () => {
  it('offers permessage-deflate and sends messages under the threshold uncompressed, the others compressed', async () => {
    const server = await handwrittenServer('permessage-deflate');
    const client = track(createClient(echo, server.url, { compression: { threshold: 100 }, reconnect: false }));
    await eventually(() => client.state === 'open', 2000, 'the client to open');
    expect(server.heads[0]).toMatch(/\r\nsec-websocket-extensions: permessage-deflate; client_max_window_bits(\r\n|$)/i);
    client.send('note', { text: 'short' });
    client.send('note', { text: 'long '.repeat(100) });
    await eventually(() => server.frames.length === 2, 2000, 'two frames');
    expect(server.frames.map((frame) => frame.rsv1)).toEqual([false, true]);
    expect(JSON.parse(server.frames[0].payload.toString()).text).toBe('short');
    expect(JSON.parse(inflated(server.frames[1].payload)).text).toBe('long '.repeat(100));
  });

  it('offers nothing without compression', async () => {
    const server = await handwrittenServer(undefined);
    const client = track(createClient(echo, server.url, { reconnect: false }));
    await eventually(() => client.state === 'open', 2000, 'the client to open');
    expect(server.heads[0]).not.toMatch(/sec-websocket-extensions/i);
  });

  it('makes typed requests through a compressing service', async () => {
    const { port } = await startApp([CompressingEchoService]);
    const client = track(createClient(echo, `ws://127.0.0.1:${port}`, { compression: true }));
    for (const text of ['short', 'long '.repeat(3000)]) expect(await client.request('say', { text })).toEqual({ text });
  });

  it('refuses a compression setting it does not know, or out of range, naming it', () => {
    expect(() => createClient(echo, 'ws://127.0.0.1:1', { compression: { level: 0 } })).toThrow(ClientOptionsError);
    expect(() => createClient(echo, 'ws://127.0.0.1:1', { compression: { level: 0 } })).toThrow(/compression\.level/);
    expect(() => createClient(echo, 'ws://127.0.0.1:1', { compression: { windowBits: 9 } as never })).toThrow(/compression\.windowBits/);
  });
});
