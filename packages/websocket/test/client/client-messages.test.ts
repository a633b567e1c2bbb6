// The client's reads, writes and close against a Duet service and a plain `ws` server that
// speak the same little command language:
//   'flood:N'          → N text messages m0…m(N-1)
//   'mixed'            → a binary message [1,2,3], then the text 'after'
//   'close:CODE:WHY'   → the server closes with that code and reason
//   other text/binary  → echoed back unchanged
import type WebSocket from 'ws';
import {
  Caller,
  ConnectionClosedError,
  InvalidArgumentError,
  MessageTypeError,
  OnBinary,
  OnClose,
  OnText,
  ReadTimeoutError,
  WebSocketClient,
  WebSocketService,
} from '@duet/websocket';
import { cleanup, pause, startServices } from '../helpers';
import { closeAll, rejectionOf, startPlainServer, track } from './support';

const serverCloses: { code: number; reason: string }[] = [];

@WebSocketService({ path: '/commands' })
class CommandService {
  @OnText()
  async onText(caller: Caller, text: string): Promise<string | undefined> {
    if (text.startsWith('flood:')) {
      const count = Number(text.slice(6));
      for (let i = 0; i < count; i++) void caller.writeTextMessage(`m${i}`);
      return undefined;
    }
    if (text === 'mixed') {
      await caller.writeBinaryMessage(Buffer.from([1, 2, 3]));
      return 'after';
    }
    if (text.startsWith('close:')) {
      const [, code, reason] = text.split(':');
      await caller.close(Number(code), reason);
      return undefined;
    }
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }

  @OnClose()
  onClose(_caller: Caller, code: number, reason: string): void {
    serverCloses.push({ code, reason });
  }
}

function plainCommands(socket: WebSocket): void {
  socket.on('message', (data: Buffer, isBinary) => {
    if (isBinary) return socket.send(data);
    const text = data.toString();
    if (text.startsWith('flood:')) {
      for (let i = 0, count = Number(text.slice(6)); i < count; i++) socket.send(`m${i}`);
    } else if (text === 'mixed') {
      socket.send(Buffer.from([1, 2, 3]));
      socket.send('after');
    } else if (text.startsWith('close:')) {
      const [, code, reason] = text.split(':');
      socket.close(Number(code), reason);
    } else {
      socket.send(text);
    }
  });
  socket.on('close', (code, reason) => serverCloses.push({ code, reason: reason.toString() }));
}

const servers: [string, () => Promise<string>][] = [
  ['a Duet service', async () => (await startServices([CommandService])).url('/commands')],
  ['a plain ws server', async () => (await startPlainServer({ onConnection: plainCommands })).url('/commands')],
];

afterEach(async () => {
  await closeAll();
  await cleanup();
  serverCloses.length = 0;
});

describe.each(servers)('WebSocketClient against %s', (_name, start) => {
  it('writes text, binary and JSON and reads each back with the matching read', async () => {
    const client = track(await WebSocketClient.connect(await start()));
    await client.writeTextMessage('héllo ✓');
    expect(await client.readTextMessage()).toBe('héllo ✓');
    await client.writeBinaryMessage(new Uint8Array([0, 255]));
    expect(await client.readBinaryMessage()).toEqual(Buffer.from([0, 255]));
    await client.writeMessage('as text');
    await client.writeMessage(Buffer.from([7]));
    await client.writeMessage({ kind: 'json', n: [1, 2] });
    expect(await client.readMessage()).toBe('as text');
    expect(await client.readMessage()).toEqual(Buffer.from([7]));
    expect(await client.readMessage()).toBe('{"kind":"json","n":[1,2]}');
  });

  it('delivers 10,000 queued messages exactly once and in order to 10,000 concurrent reads', async () => {
    const client = track(await WebSocketClient.connect(await start(), { readTimeout: 0.3 }));
    await client.writeTextMessage('flood:10000');
    await pause(200); // let them arrive and queue before anyone reads
    const reads: Promise<string | Buffer>[] = [];
    for (let i = 0; i < 10000; i++) reads.push(i % 2 === 0 ? client.readMessage() : client.readTextMessage());
    const received = await Promise.all(reads);
    expect(received).toEqual(Array.from({ length: 10000 }, (_, i) => `m${i}`));
    expect(await rejectionOf(client.readMessage())).toBeInstanceOf(ReadTimeoutError); // nothing delivered twice
  });

  it('rejects a read of the wrong type with MessageTypeError and leaves the message for the next read', async () => {
    const client = track(await WebSocketClient.connect(await start()));
    await client.writeTextMessage('mixed');
    const mismatch = await rejectionOf(client.readTextMessage());
    expect(mismatch).toBeInstanceOf(MessageTypeError);
    expect(mismatch).toMatchObject({ code: 'DUET_ERR_MESSAGE_TYPE', expected: 'text', actual: 'binary' });
    expect(await client.readBinaryMessage()).toEqual(Buffer.from([1, 2, 3]));
    expect(await rejectionOf(client.readBinaryMessage())).toMatchObject({ expected: 'binary', actual: 'text' });
    expect(await client.readTextMessage()).toBe('after');
  });

  it('rejects a read of the wrong type that was already waiting when the message arrives', async () => {
    const client = track(await WebSocketClient.connect(await start()));
    const waiting = client.readBinaryMessage();
    await client.writeTextMessage('plain text');
    expect(await rejectionOf(waiting)).toBeInstanceOf(MessageTypeError);
    expect(await client.readTextMessage()).toBe('plain text');
  });

  it('rejects a read with ReadTimeoutError after readTimeout and stays usable', async () => {
    const client = track(await WebSocketClient.connect(await start(), { readTimeout: 0.15 }));
    const started = Date.now();
    const timeout = await rejectionOf(client.readMessage());
    expect(timeout).toBeInstanceOf(ReadTimeoutError);
    expect(timeout).toMatchObject({ code: 'DUET_ERR_READ_TIMEOUT', name: 'ReadTimeoutError', timeoutSeconds: 0.15 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(client.isOpen()).toBe(true);
    await client.writeTextMessage('still here');
    expect(await client.readTextMessage()).toBe('still here');
  });

  it('reports the close code and reason after the queued messages have been read', async () => {
    const client = track(await WebSocketClient.connect(await start()));
    await client.writeTextMessage('before');
    await client.writeTextMessage('close:4001:bye now');
    const closed = await rejectionOf(client.readMessage().then(() => client.readMessage()));
    expect(closed).toBeInstanceOf(ConnectionClosedError);
    expect(closed).toMatchObject({ code: 'DUET_ERR_CONNECTION_CLOSED', statusCode: 4001, reason: 'bye now' });
    expect(client.isOpen()).toBe(false);
    expect(await rejectionOf(client.writeTextMessage('late'))).toMatchObject({ statusCode: 4001 });
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('iterates over messages with for await and ends without an error when the server closes', async () => {
    const client = track(await WebSocketClient.connect(await start()));
    await client.writeTextMessage('one');
    await client.writeBinaryMessage(Buffer.from('two'));
    await client.writeTextMessage('close:1000:done');
    const seen: (string | Buffer)[] = [];
    for await (const message of client) seen.push(message);
    expect(seen).toEqual(['one', Buffer.from('two')]);
  });

  it('closes with the given code and reason, which the server receives', async () => {
    const client = await WebSocketClient.connect(await start());
    await client.close(4002, 'client done', 2);
    expect(client.isOpen()).toBe(false);
    await expect(client.readMessage()).rejects.toMatchObject({ statusCode: 4002, reason: 'client done' });
    await pause(20);
    expect(serverCloses).toEqual([{ code: 4002, reason: 'client done' }]);
  });

  it('answers the accessors: connection id, open, secure, response headers, sub-protocol and attributes', async () => {
    const url = await start();
    const first = track(await WebSocketClient.connect(url));
    const second = track(await WebSocketClient.connect(url));
    expect(first.getConnectionId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.getConnectionId()).not.toBe(second.getConnectionId());
    expect(first.isOpen()).toBe(true);
    expect(first.isSecure()).toBe(false);
    expect(first.getNegotiatedSubProtocol()).toBeUndefined();
    expect(first.getHttpResponseHeaders()).toMatchObject({ upgrade: 'websocket', connection: 'Upgrade' });
    first.setAttribute('user', { id: 7 });
    expect(first.getAttribute<{ id: number }>('user')).toEqual({ id: 7 });
    expect(second.getAttribute('user')).toBeUndefined();
    first.removeAttribute('user');
    expect(first.getAttribute('user')).toBeUndefined();
  });
});

describe('WebSocketClient arguments', () => {
  it('rejects values that cannot be sent with InvalidArgumentError', async () => {
    const client = track(await WebSocketClient.connect(await servers[1][1]()));
    await expect(client.writeTextMessage(42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.writeBinaryMessage('text' as unknown as Buffer)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.writeMessage(() => 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(client.writeMessage(cyclic)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.ping(Buffer.alloc(126))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.close(1006)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.close(1000, 'x'.repeat(124))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(client.isOpen()).toBe(true);
  });
});
