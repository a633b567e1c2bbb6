// Memory stays bounded when the reader is slower than the sender: the client's queue stops
// at maxQueuedBytes / maxQueuedMessages (plus what one socket read had already brought in),
// the rest waits in TCP and at the sender, and every message still arrives once, in order.
// Every buffer sent is a fresh one: `ws` keeps a repeated buffer by reference, which would
// make the sender's memory look flat whatever the client did.
import { DEFAULT_MAX_QUEUED_BYTES, WebSocketClient } from '@duet/websocket';
import type { MessageQueue } from '../../src/client/message-queue';
import { pause } from '../helpers';
import { closeAll, startPlainServer, track } from './support';

afterEach(closeAll);

// The queue is internal; the test looks at it to show the limit holding.
function queueOf(client: WebSocketClient): MessageQueue {
  return (client as unknown as { queue: MessageQueue }).queue;
}

// One socket read brings at most 64 KiB; the frames of that read still land after the pause.
const ONE_READ = 64 * 1024;

describe('WebSocketClient backpressure', () => {
  it('keeps at most maxQueuedBytes (4 MiB by default) queued while 40 MiB wait at the sender', async () => {
    const count = 2560;
    const size = 16 * 1024;
    let sender: import('ws').WebSocket | undefined;
    const server = await startPlainServer({
      onConnection: (socket) => {
        sender = socket;
        for (let i = 0; i < count; i++) socket.send(Buffer.alloc(size, i % 251));
      },
    });
    const client = track(await WebSocketClient.connect(server.url()));
    await pause(300); // the reader is away
    const queue = queueOf(client);
    expect(queue.isPaused).toBe(true);
    expect(queue.byteLength).toBeGreaterThanOrEqual(DEFAULT_MAX_QUEUED_BYTES);
    expect(queue.byteLength).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_BYTES + ONE_READ + size);
    // What the client did not take is held back at the sender, not buffered by the client.
    expect(sender!.bufferedAmount).toBeGreaterThan(16 * 1024 * 1024);

    let largest = 0;
    for (let i = 0; i < count; i++) {
      const message = await client.readBinaryMessage();
      if (message.length !== size || message[0] !== i % 251 || message[size - 1] !== i % 251) {
        throw new Error(`message ${i} is not the ${i}th one sent`);
      }
      largest = Math.max(largest, queue.byteLength);
    }
    expect(largest).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_BYTES + ONE_READ + size);
    expect(queue.length).toBe(0);
  });

  it('stops reading at maxQueuedMessages and delivers all 50,000 small messages in order afterwards', async () => {
    const count = 50000;
    const server = await startPlainServer({
      onConnection: (socket) => {
        for (let i = 0; i < count; i++) socket.send(`m${i}`);
      },
    });
    const client = track(await WebSocketClient.connect(server.url(), { maxQueuedMessages: 100 }));
    await pause(300);
    const queue = queueOf(client);
    expect(queue.isPaused).toBe(true);
    // Frames of `m<i>` are at least 4 bytes, so one read brings at most 16,384 of them.
    expect(queue.length).toBeGreaterThanOrEqual(100);
    expect(queue.length).toBeLessThanOrEqual(100 + ONE_READ / 4);
    for (let i = 0; i < count; i++) {
      const text = await client.readTextMessage();
      if (text !== `m${i}`) throw new Error(`read ${i} got ${text}`);
    }
    expect(queue.isPaused).toBe(false);
  });
});
