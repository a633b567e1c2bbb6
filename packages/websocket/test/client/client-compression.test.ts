// The pull client's `compression`: what it offers, what it sends (RSV1 per frame, seen by a
// server writing the handshake by hand), and a round trip through a compressing Duet service.
import { constants, inflateRawSync } from 'node:zlib';
import { Caller, OnText, WebSocketClient, WebSocketService } from '@duet/websocket';
import { FrameParser } from '../conformance/raw-client';
import { cleanup, eventually, startServices } from '../helpers';
import { type RawServer, startRawServer, switchingProtocols } from './raw-server';
import { closeAll, track } from './support';

const servers: RawServer[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanup();
});

@WebSocketService({ path: '/json', compression: { threshold: 100 } })
class JsonEchoService {
  @OnText()
  onText(_caller: Caller, text: string): object {
    return { echo: text };
  }
}

/** A server that answers every handshake with `answer` as its Sec-WebSocket-Extensions (none when undefined). */
async function answering(answer: string | undefined, heads: string[]): Promise<RawServer> {
  const server = await startRawServer((socket, head) => {
    heads.push(head);
    const accepted = switchingProtocols(head);
    socket.write(answer === undefined ? accepted : accepted.replace('\r\n\r\n', `\r\nSec-WebSocket-Extensions: ${answer}\r\n\r\n`));
  });
  servers.push(server);
  return server;
}

const inflated = (payload: Buffer) => inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();

describe('WebSocketClient compression', () => {
  it('offers permessage-deflate and sends messages below the threshold uncompressed, the others compressed', async () => {
    const heads: string[] = [];
    const server = await answering('permessage-deflate', heads);
    const client = track(await WebSocketClient.connect(server.url, { compression: { threshold: 100 } }));
    expect(heads[0]).toMatch(/\r\nsec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n/i);
    const large = 'abc'.repeat(100);
    await client.writeTextMessage('x'.repeat(99));
    await client.writeTextMessage(large);
    await client.writeBinaryMessage(Buffer.alloc(100, 7));
    let frames: ReturnType<FrameParser['push']> = [];
    const all = new FrameParser();
    await eventually(() => (frames = [...frames, ...all.push(Buffer.concat(server.received[0].splice(0)))]).length >= 3, 2000, 'three frames');
    expect(frames.map((frame) => frame.rsv1)).toEqual([false, true, true]);
    expect(frames[0].payload.toString()).toBe('x'.repeat(99));
    expect(inflated(frames[1].payload)).toBe(large);
  });

  it('offers nothing without compression', async () => {
    const heads: string[] = [];
    const server = await answering(undefined, heads);
    track(await WebSocketClient.connect(server.url));
    expect(heads[0]).not.toMatch(/sec-websocket-extensions/i);
  });

  it('agrees it with a compressing Duet service and reads compressed replies', async () => {
    const { url } = await startServices([JsonEchoService]);
    const client = track(await WebSocketClient.connect(url('/json'), { compression: true }));
    expect(client.getHttpResponseHeaders()['sec-websocket-extensions']).toBe('permessage-deflate');
    for (const text of ['short', 'long '.repeat(2000)]) {
      await client.writeTextMessage(text);
      expect(JSON.parse(await client.readTextMessage())).toEqual({ echo: text });
    }
  });

  it('refuses a compression setting out of range, naming it', async () => {
    await expect(WebSocketClient.connect('ws://127.0.0.1:1/', { compression: { level: 10 } })).rejects.toThrow(/compression\.level/);
    await expect(WebSocketClient.connect('ws://127.0.0.1:1/', { compression: { clientMaxWindowBits: 8 } })).rejects.toThrow(/compression\.clientMaxWindowBits/);
  });
});
