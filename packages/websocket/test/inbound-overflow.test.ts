// Inbound flow control: a client faster than its service's handler is held back by TCP
// (`inboundOverflow: 'pause'`, the default) instead of being cut off with 1013 (`'close'`).
import WebSocket from 'ws';
import { Caller, type ConnectionInfo, OBSERVER, OnText, WebSocketService, type WebSocketObserver } from '@duet/websocket';
import { closeTestApps, createTestApp, eventually } from '@duet/testing';

afterEach(closeTestApps);

const REQUESTS = 5000;
const MAX_PENDING = 64;
/**
 * What one read of the socket can still bring in after the pause, in 2 KiB messages: 64 KiB on
 * ws (a Node socket read), 512 KiB on Bun's native server (uWebSockets' receive buffer).
 */
const ONE_READ = 'Bun' in globalThis ? 257 : 33;
const PADDING = 'x'.repeat(2000);

/** Counts, in the server, what arrived and what a handler took: the difference is what waits. */
class WaitingCounter implements WebSocketObserver {
  received = 0;
  taken = 0;
  mostWaiting = 0;

  messageReceived(_connection: ConnectionInfo): void {
    this.received++;
    this.mostWaiting = Math.max(this.mostWaiting, this.received - this.taken);
  }
}
const counter = new WaitingCounter();

/** A slow async handler: each request waits for a turn of the event loop. */
@WebSocketService({ path: '/slow', maxPendingMessages: MAX_PENDING, pingInterval: 0.2, pongTimeout: 0.2 })
class SlowService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<string> {
    counter.taken++;
    // Now and then a longer wait, so that the run spans several heartbeats.
    if (counter.taken % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    else await new Promise((resolve) => setImmediate(resolve));
    return text.slice(0, text.indexOf(' '));
  }
}

@WebSocketService({ path: '/slow-close', maxPendingMessages: MAX_PENDING, inboundOverflow: 'close' })
class SlowClosingService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return text;
  }
}

/** Never settles: reading stays paused behind it. */
@WebSocketService({ path: '/stuck-idle', maxPendingMessages: MAX_PENDING, idleTimeout: 1 })
class StuckIdleService {
  @OnText()
  onText(): Promise<void> {
    return new Promise(() => {});
  }
}

@WebSocketService({ path: '/stuck-heartbeat', maxPendingMessages: MAX_PENDING, pingInterval: 0.3, pongTimeout: 0.3 })
class StuckHeartbeatService {
  @OnText()
  onText(): Promise<void> {
    return new Promise(() => {});
  }
}

async function open(url: string): Promise<WebSocket> {
  const client = new WebSocket(url);
  await new Promise((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  return client;
}

function closeOf(client: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => client.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** Sends `count` requests of about 2 KiB as fast as the socket takes them. */
function flood(client: WebSocket, count: number): void {
  for (let i = 0; i < count; i++) client.send(`${i} ${PADDING}`);
}

describe("inboundOverflow: 'pause' (the default)", () => {
  it('answers 5,000 pipelined requests to a slow async handler, in order, with at most maxPendingMessages and one read waiting', async () => {
    const app = await createTestApp({ services: [SlowService], bindings: [[OBSERVER, counter]] });
    const client = await open(app.url('/slow'));
    const replies: string[] = [];
    const done = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        replies.push(data.toString());
        if (replies.length === REQUESTS) resolve();
      }),
    );
    let closed: { code: number } | undefined;
    void closeOf(client).then((close) => (closed = close));
    flood(client, REQUESTS);
    // The client is held back: what it wrote is in its own buffers, not in the server's queue.
    await eventually(() => client.bufferedAmount > 0 || replies.length === REQUESTS, 2000, 'a held-back client');
    await done;
    expect(replies).toEqual(Array.from({ length: REQUESTS }, (_, i) => String(i)));
    expect(counter.mostWaiting).toBeGreaterThanOrEqual(MAX_PENDING);
    expect(counter.mostWaiting).toBeLessThanOrEqual(MAX_PENDING + ONE_READ);
    // The heartbeat's pongs could not be read while reading was paused; progress kept it open.
    expect(closed).toBeUndefined();
    client.close();
  });

  it('still ends a paused connection whose handler is stuck: idleTimeout closes it with 1001', async () => {
    const app = await createTestApp({ services: [StuckIdleService] });
    const client = await open(app.url('/stuck-idle'));
    const close = closeOf(client);
    flood(client, 2000);
    expect(await close).toEqual({ code: 1001, reason: 'idle timeout' });
  });

  it('still ends a paused connection whose handler is stuck: the heartbeat terminates it (1006)', async () => {
    const app = await createTestApp({ services: [StuckHeartbeatService] });
    const client = await open(app.url('/stuck-heartbeat'));
    const close = closeOf(client);
    flood(client, 2000);
    expect((await close).code).toBe(1006);
  });
});

describe("inboundOverflow: 'close'", () => {
  it('closes with 1013 once more than maxPendingMessages wait behind a busy handler', async () => {
    const app = await createTestApp({ services: [SlowClosingService] });
    const client = await open(app.url('/slow-close'));
    const close = closeOf(client);
    flood(client, REQUESTS);
    expect(await close).toEqual({ code: 1013, reason: 'too many pending messages' });
  });
});
