// Write timeout and close timeout against peers that stop cooperating: a `ws` server that
// stops reading, and a bare TCP server that completes the handshake and then never answers.
import { createHash } from 'node:crypto';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { ConnectionClosedError, InvalidArgumentError, WebSocketClient, WriteTimeoutError } from '@duet/websocket';
import { pause } from '../helpers';
import { closeAll, rejectionOf, startPlainServer, track } from './support';

afterEach(closeAll);

/** Accepts one WebSocket handshake per connection, then ignores everything the client sends. */
async function deafServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (head: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'))?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('WebSocketClient timeouts', () => {
  it('rejects a write that cannot reach the network within writeTimeout with WriteTimeoutError', async () => {
    const server = await startPlainServer({ onConnection: (socket) => socket.pause() });
    const client = track(await WebSocketClient.connect(server.url(), { writeTimeout: 0.2 }));
    let error: Error | undefined;
    // Fresh 4 MiB buffers until the kernel buffers are full and a write stays pending.
    for (let i = 0; i < 64 && error === undefined; i++) {
      error = await client.writeBinaryMessage(Buffer.alloc(4 * 1024 * 1024, i)).then(
        () => undefined,
        (e: Error) => e,
      );
    }
    expect(error).toBeInstanceOf(WriteTimeoutError);
    expect(error).toMatchObject({ code: 'DUET_ERR_WRITE_TIMEOUT', timeoutSeconds: 0.2 });
    expect(client.isOpen()).toBe(true);
  });

  it('terminates the socket when the server does not answer the close within timeoutSeconds', async () => {
    const deaf = await deafServer();
    try {
      const client = await WebSocketClient.connect(deaf.url);
      const started = Date.now();
      await client.close(1000, 'bye', 0.2);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(190);
      expect(took).toBeLessThan(1000);
      const error = await rejectionOf(client.readMessage());
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect(error).toMatchObject({ statusCode: 1006 });
    } finally {
      await deaf.stop();
    }
  });

  it.each([
    ['Infinity', Infinity],
    ['NaN', NaN],
    ['over 2^31-1 ms', 2147483.648],
    ['negative', -1],
  ])('refuses a close timeout that is %s with InvalidArgumentError and stays open', async (_what, timeoutSeconds) => {
    let closes = 0;
    const server = await startPlainServer({
      onConnection: (socket) => {
        socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
        socket.on('close', () => closes++);
      },
    });
    const client = track(await WebSocketClient.connect(server.url()));
    const error = await rejectionOf(client.close(1000, 'bye', timeoutSeconds));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: 'DUET_ERR_INVALID_ARGUMENT' });
    expect(error.message).toMatch(/timeoutSeconds/);
    await pause(50);
    expect(client.isOpen()).toBe(true);
    expect(closes).toBe(0);
    await client.writeTextMessage('still here');
    expect(await client.readTextMessage()).toBe('still here');
  });
});
