// permessage-deflate on the engine 'auto' picks (Bun's native server under `bun test`, ws under
// jest): the threshold decides RSV1 per message, compressed messages from the client are read,
// and a service without compression never agrees it, even on a server where another does.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { Caller, OnText, WebSocketService } from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets } from '../conformance/raw-client';
import { startApp, stopAll } from './engine-helpers';

afterEach(async () => {
  closeAllRawSockets();
  await stopAll();
});

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };

@WebSocketService({ path: '/deflate', compression: { threshold: 100 } })
class DeflateEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

@WebSocketService({ path: '/plain' })
class PlainEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

function deflated(text: string): Buffer {
  const bytes = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
  return bytes.subarray(0, bytes.length - TAIL.length);
}

const inflated = (payload: Buffer) => inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();

describe('permessage-deflate on the native engine', () => {
  it('agrees it, and compresses from the threshold on only', async () => {
    const { app } = await startApp([DeflateEchoService, PlainEchoService]);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, OFFER);
    expect(client.handshake.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate\b/);
    client.send({ opcode: Opcode.Text, payload: 'x'.repeat(99) });
    const small = await client.nextFrame();
    expect([small.rsv1, small.payload.toString()]).toEqual([false, 'x'.repeat(99)]);
    const large = 'compress me '.repeat(50);
    client.send({ opcode: Opcode.Text, payload: large });
    const frame = await client.nextFrame();
    expect(frame.rsv1).toBe(true);
    expect(inflated(frame.payload)).toBe(large);
  });

  it('reads what the client compressed', async () => {
    const { app } = await startApp([DeflateEchoService, PlainEchoService]);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, OFFER);
    client.send({ opcode: Opcode.Text, payload: deflated('tiny'), rsv1: true });
    expect((await client.nextFrame()).payload.toString()).toBe('tiny');
  });

  it('closes with 1009 on a 1 KiB message that inflates past maxFrameSize', async () => {
    const { app } = await startApp([DeflateEchoService, PlainEchoService]);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, OFFER);
    client.send({ opcode: Opcode.Text, payload: deflated('a'.repeat(1000 * 1000)), rsv1: true });
    expect((await client.serverClose()).code).toBe(1009);
  });

  it('never agrees it for a service without compression, beside one with it', async () => {
    const { app } = await startApp([DeflateEchoService, PlainEchoService]);
    const client = await RawClient.connect(app.port(), '/plain', undefined, OFFER);
    expect(client.handshake.headers['sec-websocket-extensions']).toBeUndefined();
    const large = 'compress me '.repeat(50);
    client.send({ opcode: Opcode.Text, payload: large });
    const frame = await client.nextFrame();
    expect([frame.rsv1, frame.payload.toString()]).toEqual([false, large]);
  });
});
