// Rooms and broadcasts on the engine 'auto' picks. Under `bun test` a broadcast is published
// once per Bun server and topic (Bun's pub/sub fans it out in C++); under jest, on ws, it is
// framed once and written to each socket. Either way: every member once, no one else, the
// excepted one left out, the slow-consumer policy per member, and resumable sessions and the
// backplane as before.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  BACKPLANE,
  Caller,
  ConnectionRegistry,
  InMemoryBackplane,
  InMemoryBus,
  OBSERVER,
  OnClose,
  OnDisconnect,
  OnOpen,
  OnText,
  type ServiceClass,
  type WebSocketObserver,
  WebSocketService,
} from '@duet/websocket';
import { BunTopics } from '../../src/transport/bun-server-sockets';
import { BunTransport } from '../../src/transport/bun-transport';
import type { EncodedFrame } from '../../src/transport/frame-encoding';
import type { TopicSocket } from '../../src/transport/transport';
import { TestClient, eventually, neverReads } from '../helpers';
import { NATIVE_ENGINE, RUNS_ON_BUN, startApp, stopAll } from './engine-helpers';

const stalledSockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of stalledSockets) socket.destroy();
  stalledSockets.clear();
  await stopAll();
});

const LIMIT = 64 * 1024;
const CHUNK = 64 * 1024;

/**
 * Every connection joins 'lobby' on open. Text commands: `join:<room>`, `leave:<room>`,
 * `say:<text>` (to the lobby, but the sender), `all:<text>` (its service, but the sender),
 * `ping` (answered 'pong': a fence, as anything broadcast to it before arrives first).
 */
class RoomHandlers {
  static callers: Caller[] = [];
  static closes: number[] = [];
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnOpen() onOpen(caller: Caller): void {
    caller.join('lobby');
    RoomHandlers.callers.push(caller);
  }

  @OnText() async onText(caller: Caller, text: string): Promise<string | undefined> {
    const [command, argument = ''] = text.split(':');
    if (command === 'join') caller.join(argument);
    else if (command === 'leave') caller.leave(argument);
    else if (command === 'say') await this.registry.to('lobby').except(caller).writeTextMessage(argument);
    else if (command === 'all') await this.registry.broadcast(this.constructor as ServiceClass).except(caller).writeTextMessage(argument);
    else if (command === 'ping') return 'pong';
    return `ok:${text}`;
  }

  @OnClose() onClose(_caller: Caller, code: number): void {
    RoomHandlers.closes.push(code);
  }
}

@WebSocketService({ path: '/chat' })
class ChatService extends RoomHandlers {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

@WebSocketService({ path: '/other' })
class OtherService extends RoomHandlers {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

@WebSocketService({ path: '/second', listener: 'second' })
class SecondPortService extends RoomHandlers {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

@WebSocketService({ path: '/drop', maxBufferedBytes: LIMIT, slowConsumerPolicy: 'drop' })
class DropService extends RoomHandlers {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

@WebSocketService({ path: '/close', maxBufferedBytes: LIMIT, slowConsumerPolicy: 'close' })
class CloseService extends RoomHandlers {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

@WebSocketService({ path: '/resumable', resume: { window: 30 } })
class ResumableService extends RoomHandlers {
  static disconnects = 0;
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }

  @OnDisconnect() onDisconnect(): void {
    ResumableService.disconnects++;
  }
}

beforeEach(() => {
  RoomHandlers.callers = [];
  RoomHandlers.closes = [];
});

/** Connects `count` clients and waits until their service has opened each. */
async function members(url: string, count: number): Promise<TestClient[]> {
  const expected = RoomHandlers.callers.length + count;
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await TestClient.connect(url));
  await eventually(() => RoomHandlers.callers.length === expected, 2000, 'the connections to open');
  return clients;
}

/** The client's next text is 'pong': nothing was broadcast to it before the fence. */
async function heardNothingMore(client: TestClient): Promise<void> {
  client.send('ping');
  expect(await client.nextText()).toBe('pong');
}


describe(`rooms and broadcasts on ${NATIVE_ENGINE}`, () => {
  it('delivers a room message to every member exactly once, and to no one outside the room', async () => {
    const { app, url } = await startApp([ChatService]);
    expect(app.engine).toBe(NATIVE_ENGINE);
    const [a, b, outsider] = await members(url('/chat'), 3);
    for (const client of [a, b, outsider]) {
      client.send('join:blue');
      expect(await client.nextText()).toBe('ok:join:blue');
    }
    outsider.send('leave:blue');
    expect(await outsider.nextText()).toBe('ok:leave:blue');
    const result = await app.registry.to('blue').writeTextMessage('to blue');
    expect(result).toEqual({ sent: 2, skipped: 0 });
    const bytes = randomBytes(300);
    await app.registry.to('blue').writeBinaryMessage(bytes);
    for (const client of [a, b]) {
      expect(await client.nextText()).toBe('to blue');
      const binary = await client.next();
      expect(binary.isBinary).toBe(true);
      expect(Buffer.compare(binary.data as Buffer, bytes)).toBe(0);
      await heardNothingMore(client);
    }
    await heardNothingMore(outsider);
  });

  it('leaves out exactly the excepted caller, and only it', async () => {
    const { url } = await startApp([ChatService]);
    const [a, sender, c] = await members(url('/chat'), 3);
    sender.send('say:hello');
    expect(await sender.nextText()).toBe('ok:say:hello');
    expect(await a.nextText()).toBe('hello');
    expect(await c.nextText()).toBe('hello');
    for (const client of [a, sender, c]) await heardNothingMore(client);
  });

  it('reaches every connection of a service with broadcast(service), every connection with broadcast(), and leaves out the excepted caller', async () => {
    const { app, url } = await startApp([ChatService, OtherService]);
    const [chat1, chat2] = await members(url('/chat'), 2);
    const [other] = await members(url('/other'), 1);
    expect(await app.registry.broadcast(ChatService).writeTextMessage('chat only')).toEqual({ sent: 2, skipped: 0 });
    expect(await chat1.nextText()).toBe('chat only');
    expect(await chat2.nextText()).toBe('chat only');
    await heardNothingMore(other);
    expect(await app.registry.broadcast().writeTextMessage('everyone')).toEqual({ sent: 3, skipped: 0 });
    for (const client of [chat1, chat2, other]) expect(await client.nextText()).toBe('everyone');
    chat1.send('all:but me');
    expect(await chat1.nextText()).toBe('ok:all:but me');
    expect(await chat2.nextText()).toBe('but me');
    for (const client of [chat1, chat2, other]) await heardNothingMore(client);
  });

  it('stops delivering to a member that left the room or closed', async () => {
    const { app, url } = await startApp([ChatService]);
    const [stays, leaves, closes] = await members(url('/chat'), 3);
    leaves.send('leave:lobby');
    expect(await leaves.nextText()).toBe('ok:leave:lobby');
    closes.socket.close(1000);
    await eventually(() => RoomHandlers.closes.length === 1, 2000, 'the close');
    expect(await app.registry.to('lobby').writeTextMessage('who is left')).toEqual({ sent: 1, skipped: 0 });
    expect(await stays.nextText()).toBe('who is left');
    await heardNothingMore(leaves);
  });

  it('reaches the members of one room on two ports once each', async () => {
    const { app, url } = await startApp([ChatService, SecondPortService], { listeners: { second: { port: 0, host: '127.0.0.1' } } });
    const [first] = await members(url('/chat'), 1);
    const second = await TestClient.connect(`ws://127.0.0.1:${app.port('second')}/second`);
    await eventually(() => RoomHandlers.callers.length === 2, 2000, 'both connections');
    expect(await app.registry.to('lobby').writeTextMessage('both ports')).toEqual({ sent: 2, skipped: 0 });
    expect(await first.nextText()).toBe('both ports');
    expect(await second.nextText()).toBe('both ports');
    second.send('say:from the second port');
    expect(await second.nextText()).toBe('ok:say:from the second port');
    expect(await first.nextText()).toBe('from the second port');
    await heardNothingMore(first);
    await heardNothingMore(second);
  });

  it("drops a room message for a member that stops reading under 'drop', counted and told to observers, while the others get every one", async () => {
    let sentBinary = 0;
    let droppedBinary = 0;
    const observer: WebSocketObserver = {
      messageSent: (_connection, kind) => void (kind === 'binary' && sentBinary++),
      messageDropped: (_connection, kind) => void (kind === 'binary' && droppedBinary++),
    };
    const { app, url } = await startApp([DropService], { bind: (container) => container.bind(OBSERVER).toConstantValue(observer) });
    const stalled = await neverReads(app.port(), '/drop');
    stalledSockets.add(stalled);
    await eventually(() => RoomHandlers.callers.length === 1, 2000, 'the stalled connection');
    const [healthy] = await members(url('/drop'), 1);
    const stalledCaller = RoomHandlers.callers[0];
    let skipped = 0;
    let sent = 0;
    // 200 × 64 KiB = 12.5 MiB offered: more than the kernel buffers of loopback take.
    for (let i = 0; i < 200; i++) {
      const result = await app.registry.to('lobby').writeBinaryMessage(randomBytes(CHUNK));
      skipped += result.skipped;
      sent += result.sent;
      // The healthy member reads each one before the next: only the stalled one falls behind.
      await healthy.until(() => healthy.messages.length === i + 1, 3000, `broadcast ${i}`);
    }
    expect(healthy.messages.every((message) => message.isBinary && (message.data as Buffer).length === CHUNK)).toBe(true);
    expect(skipped).toBeGreaterThan(0);
    expect(sent + skipped).toBe(400);
    expect(app.registry.stats().droppedMessages).toBe(skipped);
    expect(droppedBinary).toBe(skipped);
    expect(sentBinary).toBe(sent);
    expect(stalledCaller.isOpen()).toBe(true);
    // What waits for the stalled peer stays within the bound (plus the one message that went over it).
    const transport = (stalledCaller as unknown as { link: { transport: { backlog(maxHeld: number): number } } }).link.transport;
    expect(transport.backlog(Infinity)).toBeLessThanOrEqual(LIMIT + CHUNK);
    // Once it reads again and has caught up, room messages reach it again.
    const tail: Buffer[] = [];
    stalled.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      if (tail.length > 2) tail.shift();
    });
    stalled.resume();
    await eventually(() => transport.backlog(Infinity) === 0, 5000, 'the stalled member to catch up');
    expect(await app.registry.to('lobby').writeTextMessage('caught up')).toEqual({ sent: 2, skipped: 0 });
    const frame = Buffer.from([0x81, 9, ...Buffer.from('caught up')]);
    await eventually(() => Buffer.concat(tail).subarray(-frame.length).equals(frame), 2000, 'the message after catching up');
  });

  it("closes a member that stops reading under 'close' (1013), while the others get every room message", async () => {
    const { app, url } = await startApp([CloseService]);
    stalledSockets.add(await neverReads(app.port(), '/close'));
    await eventually(() => RoomHandlers.callers.length === 1, 2000, 'the stalled connection');
    const [healthy] = await members(url('/close'), 1);
    const stalledCaller = RoomHandlers.callers[0];
    let i = 0;
    for (; i < 200 && stalledCaller.isOpen(); i++) {
      await app.registry.to('lobby').writeBinaryMessage(randomBytes(CHUNK));
      await healthy.until(() => healthy.messages.length === i + 1, 3000, `broadcast ${i}`);
    }
    expect(stalledCaller.isOpen()).toBe(false);
    expect(app.registry.stats().droppedMessages).toBe(0);
    // The closing member is not written to (on ws it stays a member until its peer goes: skipped).
    expect((await app.registry.to('lobby').writeTextMessage('after')).sent).toBe(1);
    await healthy.until(() => healthy.messages.length === i + 1, 3000, 'the last broadcast');
    expect(healthy.messages[i]!.data).toBe('after');
    if (RUNS_ON_BUN) {
      // Bun reports the close at once (docs/engines.md); ws once the peer goes.
      await eventually(() => RoomHandlers.closes.includes(1013), 2000, '@OnClose with 1013');
    }
  });

  it("keeps a resumable session's room messages while its socket is down, and replays them on resume", async () => {
    const { app, url } = await startApp([ResumableService]);
    const first = await TestClient.connect(`${url('/resumable')}?duet-resume=new`);
    const { token } = JSON.parse(await first.nextText()) as { token: string };
    await eventually(() => RoomHandlers.callers.length === 1, 2000, 'the session to open');
    expect(await app.registry.to('lobby').writeTextMessage('while up')).toEqual({ sent: 1, skipped: 0 });
    expect(await first.nextText()).toBe('while up');
    ResumableService.disconnects = 0;
    first.socket.terminate();
    await eventually(() => ResumableService.disconnects === 1, 2000, 'the server to see the socket go');
    expect(await app.registry.to('lobby').writeTextMessage('while away')).toEqual({ sent: 1, skipped: 0 });
    const resumed = await TestClient.connect(`${url('/resumable')}?duet-resume=${token}&duet-ack=1`);
    expect(JSON.parse(await resumed.nextText())).toMatchObject({ resumed: true });
    expect(await resumed.nextText()).toBe('while away');
  });

  it('delivers a broadcast of another node of the backplane to its room members here, but the excepted one', async () => {
    const bus = new InMemoryBus();
    const here = await startApp([ChatService], { bind: (container) => container.bind(BACKPLANE).toConstantValue(new InMemoryBackplane(bus)) });
    const there = await startApp([OtherService], { bind: (container) => container.bind(BACKPLANE).toConstantValue(new InMemoryBackplane(bus)) });
    const [a, excepted] = await members(here.url('/chat'), 2);
    const [remote] = await members(there.url('/other'), 1);
    const exceptedCaller = RoomHandlers.callers[1]!;
    expect(await there.app.registry.to('lobby').except(exceptedCaller).writeTextMessage('from afar')).toEqual({ sent: 1, skipped: 0 });
    expect(await remote.nextText()).toBe('from afar');
    expect(await a.nextText()).toBe('from afar');
    await heardNothingMore(excepted);
    await heardNothingMore(a);
  });
});

/** Counts what reaches Bun: publishes per topic, and frames written to one socket at a time. */
function countBunWrites(): { publishes: string[]; written: () => number; servers: BunTopics[]; restore(): void } {
  const publish = BunTopics.prototype.publish;
  const sendEncoded = BunTransport.prototype.sendEncoded;
  const counts = { publishes: [] as string[], written: 0, servers: [] as BunTopics[] };
  BunTopics.prototype.publish = function (this: BunTopics, topic: string, frame: EncodedFrame, except: TopicSocket | undefined) {
    counts.publishes.push(topic);
    if (!counts.servers.includes(this)) counts.servers.push(this);
    return publish.call(this, topic, frame, except);
  };
  BunTransport.prototype.sendEncoded = function (this: BunTransport, frame: EncodedFrame) {
    counts.written++;
    sendEncoded.call(this, frame);
  };
  return {
    publishes: counts.publishes,
    written: () => counts.written,
    servers: counts.servers,
    restore() {
      BunTopics.prototype.publish = publish;
      BunTransport.prototype.sendEncoded = sendEncoded;
    },
  };
}

(RUNS_ON_BUN ? describe : describe.skip)("Bun's native pub/sub", () => {
  it('publishes a room broadcast once through the server, whose topic holds exactly the members', async () => {
    const { app, url } = await startApp([ChatService]);
    const clients = await members(url('/chat'), 3);
    const counts = countBunWrites();
    try {
      expect(await app.registry.to('lobby').writeTextMessage('once')).toEqual({ sent: 3, skipped: 0 });
      expect(counts.publishes).toEqual(['room:lobby']);
      expect(counts.written()).toBe(0);
      const { server } = counts.servers[0]!;
      expect(server.subscriberCount('room:lobby')).toBe(3);
      for (const client of clients) expect(await client.nextText()).toBe('once');
      clients[0]!.send('leave:lobby');
      expect(await clients[0]!.nextText()).toBe('ok:leave:lobby');
      expect(server.subscriberCount('room:lobby')).toBe(2);
      clients[1]!.socket.close(1000);
      await eventually(() => RoomHandlers.closes.length === 1, 2000, 'the close');
      expect(server.subscriberCount('room:lobby')).toBe(1);
      expect(await app.registry.broadcast(ChatService).writeTextMessage('service')).toEqual({ sent: 2, skipped: 0 });
      expect(counts.publishes).toEqual(['room:lobby', 'service:/chat']);
      expect(server.subscriberCount('service:/chat')).toBe(2);
      expect(counts.written()).toBe(0);
    } finally {
      counts.restore();
    }
  });
});
