import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  Caller,
  ConnectionRegistry,
  InMemoryBackplane,
  InMemoryBus,
  OnClose,
  OnOpen,
  OnText,
  WebSocketService,
} from '@duet/websocket';
import { closeTestApps, createTestApp } from '@duet/testing';
import { TestClient, cleanup, eventually, pause, startServices, withTimeout } from './helpers';

afterEach(cleanup);
afterEach(closeTestApps);

@WebSocketService({ path: '/chat/:room' })
class ChatService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnOpen()
  onOpen(caller: Caller): void {
    caller.join(caller.params.room);
  }

  @OnText()
  async onText(caller: Caller, text: string): Promise<string | undefined> {
    if (text.startsWith('join:')) {
      caller.join(text.slice(5));
      return `rooms=${[...caller.rooms()].sort().join(',')}`;
    }
    if (text.startsWith('leave:')) {
      caller.leave(text.slice(6));
      return `rooms=${[...caller.rooms()].sort().join(',')}`;
    }
    if (text.startsWith('all:')) {
      const result = await this.registry.broadcast().except(caller).writeTextMessage(text.slice(4));
      return `sent=${result.sent}`;
    }
    const [room, message] = text.split('>');
    await this.registry.to(room).except(caller).writeMessage({ room, message, from: caller.getConnectionId() });
    return undefined;
  }
}

@WebSocketService({ path: '/other' })
class OtherService {
  @OnClose() onClose() {}
}

@WebSocketService({ path: '/first' })
class FirstService {
  @OnText() onText(caller: Caller): string {
    return caller.getConnectionId();
  }
}

@WebSocketService({ path: '/second' })
class SecondService {
  @OnText() onText(caller: Caller): string {
    return caller.getConnectionId();
  }
}

describe('ConnectionRegistry', () => {
  it('lists connections in the order they opened over every service, and finds each by the id it was told', async () => {
    const { url, container } = await startServices([FirstService, SecondService]);
    const registry = container.get(ConnectionRegistry);
    const clients: TestClient[] = [];
    for (const path of ['/second', '/first', '/first', '/second', '/first']) {
      clients.push(await TestClient.connect(url(path)));
      await eventually(() => registry.count() === clients.length, 2000, `${clients.length} connections`);
    }
    // Each client learns its id from its own handler, the latest first.
    const ids: string[] = [];
    for (const client of [...clients].reverse()) {
      client.send('id');
      ids.unshift(await client.nextText());
    }
    expect(registry.list().map((caller) => caller.getConnectionId())).toEqual(ids);
    expect([...registry].map((caller) => caller.getConnectionId())).toEqual(ids);
    expect(registry.list(FirstService).map((caller) => caller.getConnectionId())).toEqual([ids[1], ids[2], ids[4]]);
    for (const id of ids) expect(registry.get(id)?.getConnectionId()).toBe(id);
    clients[3]!.socket.close(1000);
    await clients[3]!.waitClosed();
    await eventually(() => registry.count() === 4, 2000, 'four connections');
    expect(registry.get(ids[3]!)).toBeUndefined();
    expect(registry.list().map((caller) => caller.getConnectionId())).toEqual([ids[0], ids[1], ids[2], ids[4]]);
  });

  it('after most connections of a service closed, lists and broadcasts to exactly the ones still open, in the order they opened', async () => {
    const { url, container } = await startServices([FirstService, SecondService]);
    const registry = container.get(ConnectionRegistry);
    const clients: TestClient[] = [];
    for (let at = 0; at < 80; at++) clients.push(await TestClient.connect(url(at % 8 === 0 ? '/second' : '/first')));
    await eventually(() => registry.count() === 80, 5000, '80 connections');
    // Ids in opening order, each told to its own client.
    const ids = registry.list().map((caller) => caller.getConnectionId());
    // Enough closed to compact the service's list (member-list.ts); every seventh stays.
    const closing = clients.filter((_, at) => at % 7 !== 0);
    for (const client of closing) client.socket.close(1000);
    await Promise.all(closing.map((client) => client.waitClosed()));
    await eventually(() => registry.count() === 12, 5000, '12 connections');
    const open = clients.map((client, at) => ({ client, at })).filter(({ at }) => at % 7 === 0);
    expect(registry.list().map((caller) => caller.getConnectionId())).toEqual(open.map(({ at }) => ids[at]));
    expect(registry.list(FirstService).map((caller) => caller.getConnectionId())).toEqual(open.filter(({ at }) => at % 8 !== 0).map(({ at }) => ids[at]));
    expect(registry.count(SecondService)).toBe(open.filter(({ at }) => at % 8 === 0).length);
    const result = await registry.broadcast().writeTextMessage('still here');
    expect(result.sent).toBe(12);
    for (const { client } of open) expect(await client.nextText()).toBe('still here');
    // A connection opened after the compaction is found after the older ones.
    const latest = await TestClient.connect(url('/first'));
    await eventually(() => registry.count() === 13, 2000, '13 connections');
    latest.send('id');
    expect(registry.list().at(-1)?.getConnectionId()).toBe(await latest.nextText());
  });

  it('counts, lists, finds and iterates connections, per service and in all, and forgets them on every kind of close', async () => {
    const { url, container } = await startServices([ChatService, OtherService]);
    const registry = container.get(ConnectionRegistry);
    const a = await TestClient.connect(url('/chat/lobby'));
    const b = await TestClient.connect(url('/chat/lobby'));
    const c = await TestClient.connect(url('/other'));
    await eventually(() => registry.count() === 3, 2000, 'three connections');
    expect(registry.count(ChatService)).toBe(2);
    expect(registry.count(OtherService)).toBe(1);
    expect(registry.list(ChatService)).toHaveLength(2);
    const ids = [...registry].map((caller) => caller.getConnectionId());
    expect(new Set(ids).size).toBe(3);
    expect(registry.get(ids[0])?.getConnectionId()).toBe(ids[0]);
    a.socket.close(1000); // a clean close
    b.socket.terminate(); // a dropped socket
    c.send('x'); // OtherService has no @OnText: the server closes with 1003
    await Promise.all([a.waitClosed(), b.waitClosed(), c.waitClosed()]);
    await eventually(() => registry.count() === 0, 2000, 'an empty registry');
    expect(registry.list()).toEqual([]);
    expect(registry.membersOf('lobby')).toEqual([]);
    expect(registry.stats().rooms).toBe(0);
  });

  it('delivers a room message to the other members only, once each, and never to other rooms', async () => {
    const { url } = await startServices([ChatService]);
    const ann = await TestClient.connect(url('/chat/lobby'));
    const bob = await TestClient.connect(url('/chat/lobby'));
    const cat = await TestClient.connect(url('/chat/kitchen'));
    ann.send('lobby>hello');
    expect(JSON.parse(await bob.nextText())).toMatchObject({ room: 'lobby', message: 'hello' });
    await pause(50);
    expect(ann.messages).toEqual([]);
    expect(cat.messages).toEqual([]);
    expect(bob.messages).toEqual([]);
  });

  it('joins and leaves rooms at once, and broadcasts to everyone but the sender', async () => {
    const { url } = await startServices([ChatService]);
    const ann = await TestClient.connect(url('/chat/lobby'));
    const bob = await TestClient.connect(url('/chat/kitchen'));
    ann.send('join:kitchen');
    expect(await ann.nextText()).toBe('rooms=kitchen,lobby');
    bob.send('kitchen>soup');
    expect(JSON.parse(await ann.nextText())).toMatchObject({ room: 'kitchen', message: 'soup' });
    ann.send('leave:kitchen');
    expect(await ann.nextText()).toBe('rooms=lobby');
    bob.send('kitchen>more soup');
    bob.send('all:news');
    expect(await bob.nextText()).toBe('sent=1');
    expect(await ann.nextText()).toBe('news');
    await pause(30);
    expect(ann.messages).toEqual([]);
  });

  it('writes the same encoded bytes to every member of a broadcast', async () => {
    const { url, container } = await startServices([ChatService]);
    const registry = container.get(ConnectionRegistry);
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(url('/chat/big'))));
    await eventually(() => registry.count() === 20, 2000, 'twenty connections');
    const payload = randomBytes(3000);
    const result = await registry.to('big').writeBinaryMessage(payload);
    expect(result).toEqual({ sent: 20, skipped: 0 });
    for (const client of clients) expect(await client.next()).toEqual({ data: payload, isBinary: true });
  });
});

describe('broadcasts of what cannot be sent', () => {
  @WebSocketService({ path: '/bad-broadcasts' })
  class BadBroadcastService {
    constructor(private readonly registry: ConnectionRegistry) {}

    @OnOpen()
    onOpen(caller: Caller): void {
      caller.join('lobby');
    }

    @OnText()
    async onText(): Promise<string> {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const lobby = this.registry.to('lobby');
      const attempts: [string, () => Promise<unknown>][] = [
        ['cyclic', () => lobby.writeMessage(cyclic)],
        ['bigint', () => lobby.writeMessage(10n)],
        ['undefined', () => this.registry.broadcast().writeMessage(undefined)],
        ['number as text', () => lobby.writeTextMessage(42 as never)],
        ['string as binary', () => lobby.writeBinaryMessage('bytes' as never)],
      ];
      const outcomes: string[] = [];
      for (const [what, attempt] of attempts) {
        let written: Promise<unknown>;
        try {
          written = attempt();
        } catch (error) {
          outcomes.push(`${what}: threw ${(error as Error).name}`);
          continue;
        }
        outcomes.push(`${what}: ${await written.then(() => 'resolved', (error: Error) => `rejected ${error.name}`)}`);
      }
      await lobby.writeTextMessage('after');
      return outcomes.join('; ');
    }
  }

  it('are rejected promises with a coded error, never a synchronous throw, and send nothing', async () => {
    const { url } = await startServices([BadBroadcastService]);
    const member = await TestClient.connect(url('/bad-broadcasts'));
    const sender = await TestClient.connect(url('/bad-broadcasts'));
    sender.send('go');
    expect(await member.nextText()).toBe('after');
    const outcomes = (await sender.nextText()) === 'after' ? await sender.nextText() : '';
    expect(outcomes).toBe(
      'cyclic: rejected ReplyEncodingError; bigint: rejected ReplyEncodingError; undefined: rejected InvalidArgumentError; ' +
        'number as text: rejected InvalidArgumentError; string as binary: rejected InvalidArgumentError',
    );
    expect(member.socket.readyState).toBe(member.socket.OPEN);
  });
});

describe('a broadcast to a service the application does not run', () => {
  @WebSocketService({ path: '/elsewhere' })
  class ElsewhereService {}

  it('is refused at once with a coded InvalidArgumentError naming the class', async () => {
    const { container } = await startServices([ChatService]);
    const registry = container.get(ConnectionRegistry);
    expect(() => registry.broadcast(ElsewhereService)).toThrow(
      expect.objectContaining({ code: 'DUET_ERR_INVALID_ARGUMENT', message: 'ElsewhereService is not a service of this application' }),
    );
  });
});

describe('an in-memory backplane shared by two apps', () => {
  it('delivers room messages across apps, exactly once per connection, and counts the whole cluster', async () => {
    const bus = new InMemoryBus();
    const start = () => createTestApp({ services: [ChatService], backplane: new InMemoryBackplane(bus) });
    const [one, two] = await Promise.all([start(), start()]);
    const ann = await TestClient.connect(one.url('/chat/lobby'));
    const bob = await TestClient.connect(two.url('/chat/lobby'));
    const cat = await TestClient.connect(two.url('/chat/lobby'));
    await eventually(() => one.registry.count() + two.registry.count() === 3, 2000, 'three connections');
    expect(await one.registry.clusterCount()).toBe(3);
    ann.send('lobby>across');
    expect(JSON.parse(await bob.nextText()).message).toBe('across');
    expect(JSON.parse(await cat.nextText()).message).toBe('across');
    await pause(50);
    expect([ann.messages, bob.messages, cat.messages]).toEqual([[], [], []]);
  });
});

describe('heartbeats', () => {
  @WebSocketService({ path: '/beat', pingInterval: 0.1, pongTimeout: 0.1 })
  class BeatService {
    static closes: number[] = [];
    @OnClose() onClose(_caller: Caller, code: number) {
      BeatService.closes.push(code);
    }
  }

  it('keeps a peer that answers pings, and terminates one that vanished (reported as 1006)', async () => {
    BeatService.closes = [];
    const { app, url } = await startServices([BeatService]);
    const alive = await TestClient.connect(url('/beat'));
    // A peer that completed the handshake and then went silent: it never answers a ping.
    const silent = connect(app.port(), '127.0.0.1');
    silent.on('error', () => {});
    await withTimeout(
      new Promise<void>((resolve) => {
        silent.once('connect', () => {
          silent.write(
            `GET /beat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
          silent.once('data', () => resolve());
        });
      }),
      2000,
      'the silent handshake',
    );
    silent.pause();
    await eventually(() => BeatService.closes.length === 1, 3000, 'the silent peer to be terminated');
    expect(BeatService.closes).toEqual([1006]);
    await pause(300);
    expect(alive.pings.length).toBeGreaterThanOrEqual(2);
    expect(alive.socket.readyState).toBe(alive.socket.OPEN);
    silent.destroy();
  });
});

describe('connection ids', () => {
  it('are distinct version-4 UUIDs', async () => {
    const { url, container } = await startServices([ChatService]);
    const registry = container.get(ConnectionRegistry);
    await Promise.all(Array.from({ length: 300 }, () => TestClient.connect(url('/chat/ids'))));
    await eventually(() => registry.count() === 300, 3000, '300 connections');
    const ids = [...registry].map((caller) => caller.getConnectionId());
    expect(new Set(ids).size).toBe(300);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
