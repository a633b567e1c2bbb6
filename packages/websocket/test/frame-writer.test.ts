// Frames written whole to ws's sender must be the very bytes ws.send would have written, in
// the same order, for every payload length class and data type; a broadcast's frame, built
// once, must reach every socket intact.
import { Blob } from 'node:buffer';
import WebSocket, { WebSocketServer } from 'ws';
import { Caller, ConnectionRegistry, OnText, WebSocketService } from '@duet/websocket';
import { FRAMES_WRITABLE_DIRECTLY, acceptsDirectFrames, writeFrame } from '../src/transport/frame-writer';
import { Opcode, RawClient, closeAllRawSockets, serverFrame } from './conformance/raw-client';
import { cleanup, startServices } from './helpers';

// Raw sockets first: the apps' stop would otherwise wait for close handshakes they never answer.
afterEach(closeAllRawSockets);
afterEach(cleanup);

const LENGTHS = [0, 1, 125, 126, 127, 4095, 4096, 16384, 16385, 65535, 65536, 70000];

function text(length: number): string {
  // Multi-byte characters too, so the UTF-8 length differs from the string length.
  return 'aé✓'.repeat(Math.ceil(length / 3)).slice(0, length);
}

function bytes(length: number): Buffer {
  const data = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) data[i] = (i * 31 + 7) & 0xff;
  return data;
}

/** A plain ws server whose connections are handed to `onSocket`, and a raw client on it. */
async function rawPair(onSocket: (socket: WebSocket) => void): Promise<{ client: RawClient; server: WebSocketServer }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', onSocket);
  const client = await RawClient.connect((server.address() as { port: number }).port, '/');
  return { client, server };
}

describe('frames written whole to the sender', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('is possible with the installed ws (a ws upgrade that removes it fails here, not in production)', () => {
    expect(FRAMES_WRITABLE_DIRECTLY).toBe(true);
  });

  it('writes exactly the bytes ws.send writes, for text and bytes of every length class', async () => {
    const payloads: (string | Buffer | Uint8Array | ArrayBuffer)[] = [];
    for (const length of LENGTHS) {
      payloads.push(text(length), bytes(length));
      const backing = bytes(length + 5);
      payloads.push(new Uint8Array(backing.buffer, backing.byteOffset + 3, length));
      const arrayBuffer = new ArrayBuffer(length);
      new Uint8Array(arrayBuffer).set(bytes(length));
      payloads.push(arrayBuffer);
    }
    const pair = await rawPair((socket) => {
      expect(acceptsDirectFrames(socket)).toBe(true);
      for (const payload of payloads) {
        socket.send(payload);
        writeFrame(socket, payload, true);
      }
    });
    server = pair.server;
    for (const payload of payloads) {
      const viaWs = await pair.client.nextFrame();
      const direct = await pair.client.nextFrame();
      expect(direct.raw).toEqual(viaWs.raw);
    }
  });

  it('goes through ws.send, after what ws still holds, while ws has a frame of its own queued', async () => {
    const pair = await rawPair((socket) => {
      // ws reads a Blob asynchronously and queues what is sent meanwhile.
      socket.send(new Blob(['from a blob']) as unknown as Buffer);
      writeFrame(socket, 'after the blob', true);
      writeFrame(socket, bytes(20000), true);
    });
    server = pair.server;
    expect((await pair.client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, 'from a blob'));
    expect((await pair.client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'after the blob'));
    expect((await pair.client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, bytes(20000)));
  });

  it('falls back to ws.send when the connection may not write directly', async () => {
    const pair = await rawPair((socket) => writeFrame(socket, text(300), false));
    server = pair.server;
    expect((await pair.client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, text(300)));
  });
});

@WebSocketService({ path: '/frames' })
class FrameService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnText()
  async onText(_caller: Caller, message: string): Promise<string | Buffer | undefined> {
    const [kind, argument] = message.split(':');
    const length = Number(argument);
    if (kind === 'text') return text(length);
    if (kind === 'bytes') return bytes(length);
    if (kind === 'broadcast-text') await this.registry.broadcast().writeTextMessage(text(length));
    if (kind === 'broadcast-bytes') await this.registry.broadcast().writeBinaryMessage(bytes(length));
    return undefined;
  }
}

describe('a service writing frames', () => {
  it('replies with exact frames of every length class, without going through ws.send', async () => {
    const { app } = await startServices([FrameService]);
    const client = await RawClient.connect(app.port(), '/frames');
    const send = jest.spyOn(WebSocket.prototype, 'send');
    try {
      for (const length of LENGTHS) {
        client.send({ opcode: Opcode.Text, payload: `text:${length}` });
        expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, text(length)));
        client.send({ opcode: Opcode.Text, payload: `bytes:${length}` });
        expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, bytes(length)));
      }
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
  });

  it('broadcasts one frame, built once, intact to every connection', async () => {
    const { app } = await startServices([FrameService]);
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(app.port(), '/frames')));
    for (const length of [5, 126, 70000]) {
      clients[0].send({ opcode: Opcode.Text, payload: `broadcast-text:${length}` });
      for (const client of clients) expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, text(length)));
      clients[1].send({ opcode: Opcode.Text, payload: `broadcast-bytes:${length}` });
      for (const client of clients) expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, bytes(length)));
    }
  });
});

@WebSocketService({ path: '/echo' })
class EchoingService {
  @OnText()
  onText(_caller: Caller, message: string): string {
    // Upper case keeps an ASCII text's length: a reply equal in size, different in content.
    return message.startsWith('UPPER ') ? message.toUpperCase() : message;
  }
}

describe('a reply that is the text just received', () => {
  it('goes back as the very same text frame, for every length class', async () => {
    const { app } = await startServices([EchoingService]);
    const client = await RawClient.connect(app.port(), '/echo');
    for (const length of [1, 125, 126, 4000, 4001, 20000]) {
      const message = text(length);
      client.send({ opcode: Opcode.Text, payload: message });
      expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, message));
    }
  });

  it('is told apart from a different reply of the same length', async () => {
    const { app } = await startServices([EchoingService]);
    const client = await RawClient.connect(app.port(), '/echo');
    client.send({ opcode: Opcode.Text, payload: 'UPPER case me' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'UPPER CASE ME'));
    client.send({ opcode: Opcode.Text, payload: 'UPPER é' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'UPPER É'));
  });
});
