// Resumable sessions end to end: @WebSocketService({ resume }) and createClient(…, { resume: true })
// on real sockets, through a TCP proxy the tests cut, blackhole and close at chosen moments.
import 'reflect-metadata';
import WebSocket from 'ws';
import { z } from 'zod';
import {
  type Authenticator,
  Caller,
  OnClose,
  OnDisconnect,
  OnMessage,
  OnOpen,
  OnResume,
  ServiceConfigError,
  type UpgradeRequest,
  WebSocketService,
} from '@duet/websocket';
import { ClientOptionsError, ConnectionLostError, type ResumeResult, createClient, defineContract } from '@duet/client';
import { cleanup, cuttableProxy, eventually, pause, rejection, startApp, stopApp, track } from './helpers';

afterEach(cleanup);

const feed = defineContract({
  path: '/feed',
  requests: {
    echo: { message: z.object({ n: z.number() }), reply: z.object({ n: z.number() }) },
    slow: { message: z.object({ ms: z.number() }), reply: z.object({ done: z.boolean() }) },
    whoami: { message: z.object({}), reply: z.object({ connection: z.string(), nick: z.string().optional(), rooms: z.array(z.string()) }) },
  },
  messages: {
    start: { message: z.object({ count: z.number() }) },
    burst: { message: z.object({ count: z.number() }) },
  },
  events: { tick: z.object({ n: z.number() }) },
});

/** What the service's lifecycle handlers saw, reset before each test. */
const seen = { opens: 0, closes: [] as [number, string][], resumes: 0, disconnects: [] as [number, string][], echoes: new Map<number, number>() };
beforeEach(() => {
  seen.opens = 0;
  seen.closes = [];
  seen.resumes = 0;
  seen.disconnects = [];
  seen.echoes = new Map();
});

/** The handlers every resumable test service shares; subclasses choose the `resume` bounds. */
class FeedHandlers {
  /** Set on `burst`: writes that many events as soon as the transport drops. */
  protected burstOnDrop = 0;

  @OnOpen() onOpen(caller: Caller<typeof feed>) {
    seen.opens++;
    caller.setAttribute('nick', 'ada');
    caller.join('lobby');
  }

  @OnClose() onClose(_caller: Caller, code: number, reason: string) {
    seen.closes.push([code, reason]);
  }

  @OnMessage('echo') onEcho(_caller: Caller, { n }: { n: number }) {
    seen.echoes.set(n, (seen.echoes.get(n) ?? 0) + 1);
    return { n };
  }

  @OnMessage('slow') async onSlow(_caller: Caller, { ms }: { ms: number }) {
    await pause(ms);
    return { done: true };
  }

  @OnMessage('whoami') onWhoami(caller: Caller) {
    return { connection: caller.getConnectionId(), nick: caller.getAttribute<string>('nick'), rooms: [...caller.rooms()] };
  }

  // Events paced by a timer, as a feed would send them: some go out while the client is away.
  @OnMessage('start') onStart(caller: Caller<typeof feed>, { count }: { count: number }) {
    let n = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 5 && n < count; i++) void caller.emit('tick', { n: n++ }).catch(() => clearInterval(timer));
      if (n >= count) clearInterval(timer);
    }, 2);
  }

  @OnMessage('burst') onBurst(_caller: Caller, { count }: { count: number }) {
    this.burstOnDrop = count;
  }
}

/** What a resumable service adds: the session's own handlers. */
class ResumableHandlers extends FeedHandlers {
  @OnResume() onResume() {
    seen.resumes++;
  }

  @OnDisconnect() onDisconnect(caller: Caller<typeof feed>, code: number, reason: string) {
    seen.disconnects.push([code, reason]);
    for (let n = 0; n < this.burstOnDrop; n++) void caller.emit('tick', { n }).catch(() => {});
  }
}

@WebSocketService({ contract: feed, resume: { window: 5, maxBufferedMessages: 1000, maxBufferedBytes: 1048576 } })
class FeedService extends ResumableHandlers {}

@WebSocketService({ contract: feed, resume: { window: 0.5 } })
class ShortWindowFeed extends ResumableHandlers {}

@WebSocketService({ contract: feed, resume: { window: 5, maxBufferedMessages: 5 } })
class SmallBufferFeed extends ResumableHandlers {}

@WebSocketService({ contract: feed })
class PlainFeed extends FeedHandlers {}

const FAST_RECONNECT = { initialDelay: 0.02, maxDelay: 0.05, jitter: 0 };

async function resumableClient(service: new () => FeedHandlers) {
  const { app, port } = await startApp([service]);
  const proxy = await cuttableProxy(port);
  const client = track(createClient(feed, `ws://127.0.0.1:${proxy.port}`, { resume: true, reconnect: FAST_RECONNECT }));
  const results: ResumeResult[] = [];
  client.onResume((result) => results.push(result));
  await client.opened();
  return { app, port, proxy, client, results };
}

describe('resumable sessions', () => {
  it('delivers 1,000 server events sent across three drops exactly once and in order', async () => {
    const { proxy, client, results } = await resumableClient(FeedService);
    const received: number[] = [];
    const cutAt = new Set([200, 450, 700]);
    client.on('tick', ({ n }) => {
      received.push(n);
      if (cutAt.has(received.length)) proxy.cut();
    });
    client.send('start', { count: 1000 });
    await eventually(() => received.length >= 1000, 10000, '1000 ticks');
    await pause(50); // a duplicate would arrive now
    expect(received).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect(results).toEqual([{ resumed: true }, { resumed: true }, { resumed: true }]);
    expect(proxy.accepted()).toBe(4);
    expect(seen).toMatchObject({ opens: 1, closes: [], resumes: 3 });
    expect(seen.disconnects).toHaveLength(3);
  });

  it('answers each of 100 requests sent across drops exactly once, and each handler runs once', async () => {
    const { app, proxy, client, results } = await resumableClient(FeedService);
    const cuts = [60, 150, 240].map((ms) => setTimeout(() => proxy.cut(), ms));
    try {
      const replies = await Promise.all(
        Array.from({ length: 100 }, async (_, n) => {
          await pause(n * 3);
          return client.request('echo', { n });
        }),
      );
      expect(replies).toEqual(Array.from({ length: 100 }, (_, n) => ({ n })));
    } finally {
      cuts.forEach(clearTimeout);
    }
    expect([...seen.echoes.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect([...seen.echoes.values()].every((count) => count === 1)).toBe(true);
    expect(results.length).toBeGreaterThanOrEqual(1);
    expect(results.every((result) => result.resumed)).toBe(true);
    expect(app.registry.stats().sessions.resumed).toBe(results.length);
  });

  it('keeps a healthy connection with a small buffer open: writes past the bound wait for acknowledgements', async () => {
    const { client, results } = await resumableClient(SmallBufferFeed);
    const received: number[] = [];
    client.on('tick', ({ n }) => received.push(n));
    client.send('start', { count: 300 });
    await eventually(() => received.length >= 300, 5000, '300 ticks');
    expect(received).toEqual(Array.from({ length: 300 }, (_, n) => n));
    expect(client.state).toBe('open');
    expect(results).toEqual([]);
    expect(seen.closes).toEqual([]);
  });

  it('replays the reply to a request whose handler finished while the client was away', async () => {
    const { client, proxy, results } = await resumableClient(FeedService);
    const reply = client.request('slow', { ms: 150 });
    await pause(30);
    proxy.refuse(true);
    proxy.cut();
    await pause(250); // the reply is written while the session is down
    proxy.refuse(false);
    await expect(reply).resolves.toEqual({ done: true });
    expect(results).toEqual([{ resumed: true }]);
  });

  it('keeps the connection id, attributes and rooms across a resume, and broadcasts reach it', async () => {
    const { app, client, proxy } = await resumableClient(FeedService);
    const before = await client.request('whoami', {});
    const ticks: number[] = [];
    client.on('tick', ({ n }) => ticks.push(n));
    proxy.refuse(true);
    proxy.cut();
    await eventually(() => seen.disconnects.length === 1, 2000, '@OnDisconnect');
    // Still a member while away: the room broadcast waits in the session.
    expect(app.registry.membersOf('lobby')).toHaveLength(1);
    await app.registry.to('lobby').emit<typeof feed, 'tick'>('tick', { n: 7 });
    proxy.refuse(false);
    await eventually(() => ticks.length === 1, 3000, 'the broadcast');
    expect(ticks).toEqual([7]);
    expect(await client.request('whoami', {})).toEqual(before);
    expect(before).toMatchObject({ connection: expect.any(String), nick: 'ada', rooms: ['lobby'] });
  });

  it('runs @OnOpen once and no @OnClose during resumes, and @OnClose once with 1006 when the window passes', async () => {
    const { app, client, proxy, results } = await resumableClient(ShortWindowFeed);
    const id = (await client.request('whoami', {})).connection;
    proxy.cut();
    await eventually(() => results.length === 1, 3000, 'a resume');
    expect(results).toEqual([{ resumed: true }]);
    expect(seen).toMatchObject({ opens: 1, closes: [], resumes: 1 });
    proxy.refuse(true);
    proxy.cut();
    await eventually(() => seen.closes.length === 1, 3000, '@OnClose');
    expect(seen.closes).toEqual([[1006, 'session expired']]);
    expect(app.registry.get(id)).toBeUndefined();
    proxy.refuse(false);
    await eventually(() => results.length === 2, 3000, 'the refused resume');
    expect(results[1]).toEqual({ resumed: false, reason: 'expired' });
    expect(seen.opens).toBe(2); // the fresh session
    expect((await client.request('whoami', {})).connection).not.toBe(id);
    const { sessions } = app.registry.stats();
    expect(sessions).toMatchObject({ resumed: 1, expired: 1, refused: { expired: 1, 'unknown session': 0 } });
  });

  it('ends a session whose buffer overflows while the client is away with 1013, and fails its pending requests', async () => {
    const { app, client, proxy, results } = await resumableClient(SmallBufferFeed);
    client.send('burst', { count: 6 });
    const pending = client.request('slow', { ms: 400 });
    await pause(30);
    proxy.refuse(true);
    proxy.cut();
    await eventually(() => seen.closes.length === 1, 3000, '@OnClose');
    expect(seen.closes).toEqual([[1013, 'resume buffer full']]);
    proxy.refuse(false);
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error.reason).toBe('resume refused: buffer overflowed');
    expect(results).toEqual([{ resumed: false, reason: 'buffer overflowed' }]);
    expect(app.registry.stats().sessions).toMatchObject({ overflowed: 1, refused: { 'buffer overflowed': 1 } });
    // The fresh session works.
    expect(await client.request('echo', { n: 1 })).toEqual({ n: 1 });
  });

  it('ends a waiting session at once when the app stops, with @OnClose once', async () => {
    const { app, proxy } = await resumableClient(FeedService);
    proxy.refuse(true);
    proxy.cut();
    await eventually(() => seen.disconnects.length === 1, 2000, '@OnDisconnect');
    const started = Date.now();
    await stopApp(app);
    expect(Date.now() - started).toBeLessThan(1000); // not the 5 s window
    expect(seen.closes).toEqual([[1001, expect.any(String)]]);
  });

  it('takes a resume while the server still holds the old, silently dead transport', async () => {
    const { port } = await startApp([FeedService]);
    const proxy = await cuttableProxy(port);
    // serverTimeout: the client gives up on a silent link and reconnects; the server never heard of it.
    const client = track(createClient(feed, `ws://127.0.0.1:${proxy.port}`, { resume: true, reconnect: FAST_RECONNECT, serverTimeout: 0.3 }));
    const results: ResumeResult[] = [];
    client.onResume((result) => results.push(result));
    const received: number[] = [];
    client.on('tick', ({ n }) => {
      received.push(n);
      if (received.length === 100) proxy.blackhole();
    });
    client.send('start', { count: 300 });
    await eventually(() => received.length >= 300, 5000, '300 ticks');
    await pause(50);
    expect(received).toEqual(Array.from({ length: 300 }, (_, n) => n));
    expect(results).toEqual([{ resumed: true }]);
    expect(seen.disconnects).toEqual([[1006, 'replaced by a resumed connection']]);
    expect(seen).toMatchObject({ opens: 1, closes: [] });
  });

  it('refuses a stolen token from another principal, and the session stays its owner\'s', async () => {
    class NameHeader implements Authenticator {
      readonly scheme = 'Name';
      authenticate(request: UpgradeRequest) {
        const name = request.headers['x-name'];
        return typeof name === 'string' ? { name, scopes: [] } : undefined;
      }
    }
    @WebSocketService({ contract: feed, auth: [NameHeader], resume: { window: 5 } })
    class PrivateFeed extends ResumableHandlers {}
    const { app, port } = await startApp([PrivateFeed]);
    const url = `ws://127.0.0.1:${port}/feed`;
    const ann = await rawSession(`${url}?duet-resume=new`, 'ann');
    expect(ann.first).toMatchObject({ type: '$session', resumed: false, token: expect.stringMatching(/^[\w-]{32}$/) });
    const stolen = await rawSession(`${url}?duet-resume=${ann.first.token}&duet-ack=0`, 'bob');
    expect(stolen.first).toMatchObject({ type: '$session', resumed: false, reason: 'principal mismatch' });
    expect(stolen.first.token).not.toBe(ann.first.token);
    ann.socket.terminate();
    await eventually(() => seen.disconnects.length === 1, 2000, "ann's drop");
    const back = await rawSession(`${url}?duet-resume=${ann.first.token}&duet-ack=0`, 'ann');
    expect(back.first).toMatchObject({ type: '$session', resumed: true, ack: 0 });
    expect(app.registry.stats().sessions.refused['principal mismatch']).toBe(1);
    for (const socket of [stolen.socket, back.socket]) socket.close();
  });

  it('answers a forged token with a fresh session (unknown session), a garbled resume with 400, and a bad ack with 1002', async () => {
    const { port } = await startApp([FeedService]);
    const url = `ws://127.0.0.1:${port}/feed`;
    const forged = await rawSession(`${url}?duet-resume=${'A'.repeat(32)}&duet-ack=0`);
    expect(forged.first).toMatchObject({ type: '$session', resumed: false, reason: 'unknown session' });
    forged.socket.close();
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${url}?duet-resume=not-a-token&duet-ack=x`);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => {});
    });
    expect(status).toBe(400);
    const liar = await rawSession(`${url}?duet-resume=new`);
    liar.socket.send(JSON.stringify({ type: '$ack', n: 5 })); // acknowledges messages never sent
    const [code] = await new Promise<[number]>((resolve) => liar.socket.on('close', (closeCode) => resolve([closeCode])));
    expect(code).toBe(1002);
    // Both sessions ended with their sockets: the forged one's clean close, then the liar's.
    await eventually(() => seen.closes.length === 2, 2000, '@OnClose');
    expect(seen.closes).toEqual([
      [1005, ''],
      [1002, 'invalid acknowledgement'],
    ]);
  });

  it('costs nothing without resume: no session frames for a plain client, nor from a service without resume', async () => {
    const { port } = await startApp([FeedService, PlainFeedOn('/plain')]);
    const plain = await rawSession(`ws://127.0.0.1:${port}/feed`);
    for (let n = 0; n < 40; n++) plain.socket.send(JSON.stringify({ type: 'echo', n, id: n }));
    await eventually(() => plain.frames.length === 40, 2000, '40 replies');
    await pause(100); // an acknowledgement batch would have come by now
    expect(plain.frames).toEqual(Array.from({ length: 40 }, (_, n) => ({ n, id: n })));
    plain.socket.close();
    const asking = await rawSession(`ws://127.0.0.1:${port}/plain?duet-resume=new`);
    expect(asking.first).toEqual({ type: 'tick', n: 0 }); // the service's own first frame
    asking.socket.close();
  });

  it('refuses to start a service with @OnResume or @OnDisconnect but no resume, naming the method', async () => {
    @WebSocketService({ contract: feed })
    class Forgetful extends ResumableHandlers {}
    const error = await rejection(startApp([Forgetful]));
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect(error).toMatchObject({ service: 'Forgetful', field: 'onResume' });
  });

  it('refuses a resume option that is not a boolean', () => {
    expect(() => createClient(feed, 'ws://127.0.0.1:1', { resume: 'yes' as never })).toThrow(ClientOptionsError);
  });

  it('behaves as a plain client against a service without resume, and never reports resumed', async () => {
    const { client, proxy, results } = await resumableClient(PlainFeed);
    const pending = client.request('slow', { ms: 500 });
    await pause(30);
    proxy.cut();
    expect(await rejection(pending)).toBeInstanceOf(ConnectionLostError);
    await client.opened();
    await eventually(() => client.state === 'open', 2000, 'the reconnect');
    expect(await client.request('echo', { n: 3 })).toEqual({ n: 3 });
    expect(results).toEqual([]);
    expect(seen.opens).toBe(2);
  });
});

/** A service like PlainFeed on another path, that greets each connection with a tick. */
function PlainFeedOn(path: string) {
  @WebSocketService({ path, dispatcherKey: 'type' })
  class Greeting {
    @OnOpen() onOpen(caller: Caller) {
      void caller.writeMessage({ type: 'tick', n: 0 });
    }
  }
  return Greeting;
}

/**
 * A raw `ws` socket (as principal `name` when given): resolves once it is open and, unless
 * `quiet`, has received its first frame; `frames` collects every frame after that.
 */
async function rawSession(url: string, name?: string): Promise<{ socket: WebSocket; first: any; frames: any[] }> {
  const socket = new WebSocket(url, name === undefined ? undefined : { headers: { 'x-name': name } });
  const frames: any[] = [];
  let first: any;
  let sawFirst: () => void = () => {};
  const firstArrived = new Promise<void>((resolve) => (sawFirst = resolve));
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (first === undefined && frame.type === '$session') {
      first = frame;
      sawFirst();
    } else if (first === undefined && !url.includes('duet-resume')) {
      frames.push(frame);
    } else if (first === undefined) {
      first = frame;
      sawFirst();
    } else {
      frames.push(frame);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  if (url.includes('duet-resume')) await firstArrived;
  return { socket, get first() { return first; }, frames };
}
