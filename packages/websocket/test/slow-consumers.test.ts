import { randomBytes } from 'node:crypto';
import { inject } from 'inversify';
import {
  Caller,
  ConnectionRegistry,
  OBSERVER,
  OnClose,
  OnOpen,
  OnText,
  type SlowConsumerPolicy,
  type WebSocketObserver,
  WebSocketService,
} from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame } from './conformance/raw-client';
import { TestClient, cleanup, eventually, neverReads, pause, startServices } from './helpers';

afterEach(async () => {
  closeAllRawSockets();
  await cleanup();
});

const LIMIT = 256 * 1024;

/** What the engine holds for a peer: Bun's socket says it at once; ws's transport reads it whole. */
interface EngineBacklog {
  readonly socket?: { getBufferedAmount?(): number };
  backlog(maxHeld: number): number;
}
const CHUNK = 16 * 1024;


function serviceWith(policy: SlowConsumerPolicy) {
  @WebSocketService({ path: `/${policy}`, maxBufferedBytes: LIMIT, slowConsumerPolicy: policy })
  class FloodService {
    static outcomes: (boolean | string | undefined)[] = [];
    static closes: number[] = [];
    static callers: Caller[] = [];

    @OnOpen() onOpen(caller: Caller) {
      FloodService.callers.push(caller);
    }

    @OnText()
    async onText(caller: Caller, text: string) {
      if (text !== 'flood') return text;
      // Fresh buffers: the same one sent again would be queued by reference and prove nothing.
      for (let i = 0; i < 2000 && caller.isOpen(); i++) {
        const outcome = await caller.writeBinaryMessage(randomBytes(CHUNK)).then(
          (result: unknown) => result as boolean | undefined,
          (error: Error) => error.name,
        );
        FloodService.outcomes.push(outcome);
      }
      return undefined;
    }

    @OnClose() onClose(_caller: Caller, code: number) {
      FloodService.closes.push(code);
    }
  }
  return FloodService;
}

describe('slow consumers', () => {
  it("drops messages for a client that never reads under 'drop', bounded by maxBufferedBytes, while others keep receiving", async () => {
    const Service = serviceWith('drop');
    const { app, url, container } = await startServices([Service]);
    const stalled = await neverReads(app.port(), '/drop');
    const healthy = await TestClient.connect(url('/drop'));
    await eventually(() => Service.callers.length === 2, 2000, 'two connections');
    const [stalledCaller] = Service.callers;
    // Flood the stalled peer through the registry: 2000 × 16 KiB = 32 MiB offered.
    const registry = container.get(ConnectionRegistry);
    let maxBuffered = 0;
    let skipped = 0;
    for (let i = 0; i < 2000; i++) {
      const result = await registry.broadcast().except(Service.callers[1]).writeBinaryMessage(randomBytes(CHUNK));
      skipped += result.skipped;
      maxBuffered = Math.max(maxBuffered, (stalledCaller as unknown as { link: { transport: { backlog(maxHeld: number): number } } }).link.transport.backlog(Infinity));
    }
    expect(skipped).toBeGreaterThan(1000);
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + CHUNK);
    expect(registry.stats().droppedMessages).toBe(skipped);
    healthy.send('still here');
    expect(await healthy.nextText()).toBe('still here');
    expect(stalledCaller.isOpen()).toBe(true);
    stalled.destroy();
  });

  it("keeps a client that never reads within maxBufferedBytes while its own messages set off broadcasts to everyone, and the others get every one", async () => {
    // Each message of the stalled client makes a broadcast inside its handler, to everyone and so to
    // itself too: while a handler runs Bun holds that socket's writes back until it returns
    // (uncounted by the publish), and only a later look sees what they left behind.
    @WebSocketService({ path: '/echoes', maxBufferedBytes: LIMIT, slowConsumerPolicy: 'drop' })
    class EchoToAll {
      static callers: Caller[] = [];
      static handled = 0;
      constructor(@inject(ConnectionRegistry) private readonly registry: ConnectionRegistry) {}

      @OnOpen() onOpen(caller: Caller) {
        EchoToAll.callers.push(caller);
      }

      @OnText() onText(_caller: Caller, text: string) {
        EchoToAll.handled++;
        void this.registry.broadcast().writeBinaryMessage(Buffer.alloc(CHUNK, text));
      }
    }
    const { app, url } = await startServices([EchoToAll]);
    const healthy = await TestClient.connect(url('/echoes'));
    const stalled = await neverReads(app.port(), '/echoes');
    await eventually(() => EchoToAll.callers.length === 2, 2000, 'two connections');
    const messages = 600; // 9.4 MiB to each, past what the kernel holds for a peer that never reads
    stalled.write(Buffer.concat(Array.from({ length: messages }, () => encodeFrame({ opcode: Opcode.Text, payload: 'x' }))));
    // Until the server stops handling them: it holds a peer's reading while its backlog is high.
    let handled = -1;
    while (handled !== EchoToAll.handled) {
      handled = EchoToAll.handled;
      await pause(300);
    }
    expect(handled).toBeGreaterThan(100);
    const transport = (EchoToAll.callers[1] as unknown as { link: { transport: EngineBacklog } }).link.transport;
    expect(transport.socket?.getBufferedAmount?.() ?? transport.backlog(Infinity)).toBeLessThanOrEqual(LIMIT + 2 * CHUNK);
    await healthy.until(() => healthy.messages.length === handled, 5000, 'every broadcast at the healthy client');
    stalled.destroy();
  });

  it("resolves direct writes once dropped under 'drop', and tells observers' messageDropped of each drop", async () => {
    const Service = serviceWith('drop');
    Service.outcomes = [];
    const dropped: string[] = [];
    const observer: WebSocketObserver = { messageDropped: (_connection, kind) => void dropped.push(kind) };
    const { app, container } = await startServices([Service], (c) => c.bind(OBSERVER).toConstantValue(observer));
    const stalled = await neverReads(app.port(), '/drop');
    const trigger = Buffer.from([0x81, 0x85, 1, 2, 3, 4]); // a masked text frame: 'flood'
    const masked = Buffer.from('flood').map((byte, i) => byte ^ trigger[2 + (i % 4)]);
    stalled.write(Buffer.concat([trigger, masked]));
    await eventually(() => Service.outcomes.length === 2000, 10000, 'the flood to end');
    expect(Service.outcomes.every((outcome) => outcome === undefined)).toBe(true);
    const { droppedMessages } = container.get(ConnectionRegistry).stats();
    expect(droppedMessages).toBeGreaterThan(1000);
    expect(dropped).toHaveLength(droppedMessages);
    expect(new Set(dropped)).toEqual(new Set(['binary']));
    stalled.destroy();
  });

  it("closes a client that never reads with 1013 under 'close' (the default), and its writes then reject", async () => {
    const Service = serviceWith('close');
    Service.outcomes = [];
    Service.closes = [];
    const { url } = await startServices([Service]);
    Service.callers = [];
    const client = await TestClient.connect(url('/close'));
    // ws's pause() pauses its TCP socket (Bun's ws client does the same), so the client stops reading.
    const raw = client.socket;
    raw.pause(); // stop reading
    client.send('flood');
    await eventually(() => Service.outcomes.includes('ConnectionClosedError'), 8000, 'the slow consumer to be closed');
    expect(Service.callers[0].isOpen()).toBe(false);
    expect(Service.outcomes.filter((outcome) => outcome === undefined).length).toBeLessThan(2000);
    raw.resume(); // the close frame waits behind the backlog: reading on, the client gets it
    expect((await client.waitClosed(5000)).code).toBe(1013);
    await eventually(() => Service.closes.length === 1, 2000, '@OnClose');
  });

  it("makes a direct write wait until flushed under 'wait', so a reader that catches up gets everything in order", async () => {
    const Service = serviceWith('wait');
    Service.outcomes = [];
    const { url } = await startServices([Service]);
    const client = await TestClient.connect(url('/wait'));
    const raw = client.socket;
    // The reader stops at once: however fast the engine, 32 MB cannot all be out before it does.
    raw.pause();
    client.send('flood');
    await pause(200);
    const whilePaused = Service.outcomes.length;
    expect(whilePaused).toBeLessThan(2000); // the writer is held back
    raw.resume();
    await eventually(() => Service.outcomes.length === 2000, 10000, 'the flood to finish');
    expect(Service.outcomes.every((outcome) => outcome === undefined)).toBe(true);
    await client.until(() => client.messages.length === 2000, 10000, 'every message');
  });
});

const REPLY = 16 * 1024;

/** Answers each text with a 16 KiB reply that starts with the text (order can be checked). */
function bigRepliesWith(policy: SlowConsumerPolicy) {
  @WebSocketService({ path: `/big-replies-${policy}`, slowConsumerPolicy: policy })
  class BigReplyService {
    @OnText()
    onText(_caller: Caller, text: string): string {
      return `${text}:`.padEnd(REPLY, 'r');
    }
  }
  return BigReplyService;
}

/** Streams `count` items of 16 KiB for `stream <count>`, counting what it sends and how it ends. */
function streamingWith(policy: SlowConsumerPolicy, drainTimeout: number) {
  @WebSocketService({ path: `/stream-${policy}`, slowConsumerPolicy: policy, drainTimeout })
  class StreamService {
    static produced = 0;
    static finished = false;
    static closes: number[] = [];

    @OnText()
    onText(_caller: Caller, text: string): AsyncIterable<string> {
      const count = Number(text.split(' ')[1]);
      return (async function* items() {
        try {
          for (let i = 0; i < count; i++) {
            StreamService.produced++;
            yield `${i}:`.padEnd(REPLY, 's');
          }
        } finally {
          StreamService.finished = true;
        }
      })();
    }

    @OnClose() onClose(_caller: Caller, code: number) {
      StreamService.closes.push(code);
    }
  }
  return StreamService;
}

/** One write holding `count` masked text frames: a pipelined burst. */
function pipelined(count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => encodeFrame({ opcode: Opcode.Text, payload: String(i) })));
}

describe('fast clients are not slow consumers', () => {
  it.each(['close', 'wait', 'drop'] as const)(
    "answers all 100 pipelined requests with 16 KiB replies to a client reading at full speed under '%s'",
    async (policy) => {
      const { app } = await startServices([bigRepliesWith(policy)]);
      const client = await RawClient.connect(app.port(), `/big-replies-${policy}`);
      client.write(pipelined(100));
      for (let i = 0; i < 100; i++) {
        const frame = await client.nextFrame(5000);
        expect(frame.opcode).toBe(Opcode.Text);
        expect(frame.payload.length).toBe(REPLY);
        expect(frame.payload.subarray(0, String(i).length + 1).toString()).toBe(`${i}:`);
      }
    },
  );

  it('answers 500 pipelined requests whose handler writes its 16 KiB answer with the Caller, under the default policy', async () => {
    @WebSocketService({ path: '/writes-answers' })
    class WritingService {
      @OnText()
      onText(caller: Caller, text: string): Promise<void> {
        return caller.writeTextMessage(`${text}:`.padEnd(REPLY, 'w'));
      }
    }
    const { app } = await startServices([WritingService]);
    const client = await RawClient.connect(app.port(), '/writes-answers');
    client.write(pipelined(500));
    await eventually(() => client.received.length >= 500, 10000, '500 answers');
    client.received.forEach((frame, i) => expect(frame.payload.subarray(0, String(i).length + 1).toString()).toBe(`${i}:`));
  });

  it('sends all 1,000 items of a stream of 16 KiB items to a client reading at full speed', async () => {
    const Service = streamingWith('close', 10);
    const { app } = await startServices([Service]);
    const client = await RawClient.connect(app.port(), '/stream-close');
    client.send({ opcode: Opcode.Text, payload: 'stream 1000' });
    await eventually(() => client.received.length >= 1000, 15000, '1,000 stream items');
    client.received.forEach((frame, i) => expect(frame.payload.subarray(0, String(i).length + 1).toString()).toBe(`${i}:`));
    expect(Service.closes).toEqual([]);
  });

  it("ends a stream to a client that stops reading by closing it with 1013 after drainTimeout under 'close'", async () => {
    const Service = streamingWith('close', 0.3);
    const { app } = await startServices([Service]);
    const client = await RawClient.connect(app.port(), '/stream-close');
    client.socket.pause();
    client.send({ opcode: Opcode.Text, payload: 'stream 100000' });
    await eventually(() => Service.finished, 10000, 'the stream to be ended');
    // Paced, not run to the end: only what fits in the kernel's buffers and maxBufferedBytes left.
    expect(Service.produced).toBeLessThan(1000);
    client.socket.resume();
    await eventually(() => client.received.some((frame) => frame.opcode === Opcode.Close), 10000, 'the close frame');
    const close = client.received.find((frame) => frame.opcode === Opcode.Close)!;
    expect(close.payload.readUInt16BE(0)).toBe(1013);
  });

  it("keeps a stream to a client that stops reading waiting within maxBufferedBytes under 'wait', and finishes it once the client reads", async () => {
    const Service = streamingWith('wait', 0.3);
    const { app, container } = await startServices([Service]);
    const client = await RawClient.connect(app.port(), '/stream-wait');
    client.socket.pause();
    client.send({ opcode: Opcode.Text, payload: 'stream 600' });
    await pause(800);
    const [caller] = container.get(ConnectionRegistry).list();
    const buffered = (caller as unknown as { link: { transport: { backlog(maxHeld: number): number } } }).link.transport.backlog(Infinity);
    expect(buffered).toBeLessThanOrEqual(1024 * 1024 + REPLY);
    expect(Service.finished).toBe(false);
    client.socket.resume();
    await eventually(() => client.received.length >= 600, 15000, 'all 600 items');
    expect(Service.closes).toEqual([]);
  });

  it("drops the items of a stream that do not fit once its reader missed drainTimeout under 'drop', and goes on", async () => {
    const Service = streamingWith('drop', 0.2);
    const { app, container } = await startServices([Service]);
    const client = await RawClient.connect(app.port(), '/stream-drop');
    client.socket.pause();
    client.send({ opcode: Opcode.Text, payload: 'stream 3000' });
    await eventually(() => Service.finished, 10000, 'the stream to run to its end');
    expect(container.get(ConnectionRegistry).stats().droppedMessages).toBeGreaterThan(1000);
    expect(Service.closes).toEqual([]);
  });
});
