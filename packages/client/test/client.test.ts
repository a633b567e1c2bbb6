// @duet/client against real Duet apps on 127.0.0.1: typed requests, messages and events, the
// errors a request can end with, reconnects, the offline queue and dead-server detection.
import { z } from 'zod';
import { Caller, OnMessage, OnOpen, OnUpgrade, UpgradeError, WebSocketService } from '@duet/websocket';
import {
  ClientClosedError,
  ClientOptionsError,
  ConnectionLostError,
  OfflineQueueFullError,
  RemoteError,
  RequestTimeoutError,
  createClient,
  defineContract,
  type ClientState,
} from '@duet/client';
import { cleanup, eventually, freePort, pause, rejection, silenceableProxy, startApp, stopApp, track } from './helpers';

afterEach(cleanup);

const Say = z.object({ text: z.string().min(1, 'text must not be empty') });
const Shout = z.object({ text: z.string() });
const Slow = z.object({ ms: z.number().int().nonnegative() });

const chat = defineContract({
  path: '/chat/:room',
  requests: {
    say: { message: Say, reply: z.object({ text: z.string(), room: z.string() }) },
    slow: { message: Slow, reply: z.object({ done: z.boolean() }) },
  },
  messages: { shout: { message: Shout }, kick: { message: z.object({}) } },
  events: { said: z.object({ type: z.literal('said'), text: z.string(), from: z.string() }) },
});

/** What the service received, in order, across every app instance of a test. */
const received: string[] = [];
let opened = 0;
beforeEach(() => {
  received.length = 0;
  opened = 0;
});

@WebSocketService({ path: '/chat/:room', dispatcherStreamId: 'id' })
class ChatService {
  @OnOpen() onOpen() {
    opened += 1;
  }

  @OnMessage('say', { schema: Say })
  onSay(caller: Caller, message: z.infer<typeof Say>) {
    received.push(`say:${message.text}`);
    return { text: message.text, room: caller.params.room };
  }

  @OnMessage('shout', { schema: Shout })
  onShout(caller: Caller, message: z.infer<typeof Shout>) {
    received.push(`shout:${message.text}`);
    return caller.writeMessage({ type: 'said', text: message.text.toUpperCase(), from: 'server' });
  }

  @OnMessage('slow', { schema: Slow })
  async onSlow(_caller: Caller, message: z.infer<typeof Slow>) {
    await pause(message.ms);
    return { done: true };
  }

  @OnMessage('kick')
  onKick(caller: Caller) {
    return caller.close(1008, 'kicked');
  }
}

const fast = { reconnect: { initialDelay: 0.02, maxDelay: 0.1 } };

describe('createClient: typed traffic', () => {
  it('resolves a typed request with its reply, and hands pushed events to their listeners and to *', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}`, { params: { room: 'lobby' } }));
    expect(client.url).toBe(`ws://127.0.0.1:${port}/chat/lobby`);
    const reply = await client.request('say', { text: 'hello' });
    expect(reply).toEqual({ text: 'hello', room: 'lobby' });

    const said: unknown[] = [];
    const all: unknown[] = [];
    const unsubscribe = client.on('said', (event) => said.push(event));
    client.on('*', (message) => all.push(message));
    client.send('shout', { text: 'hi' });
    await eventually(() => said.length === 1, 2000, 'the said event');
    expect(said[0]).toEqual({ type: 'said', text: 'HI', from: 'server' });
    expect(all).toEqual(said);

    unsubscribe();
    client.send('shout', { text: 'again' });
    await eventually(() => all.length === 2, 2000, 'the second said event');
    expect(said).toHaveLength(1);
  });

  it('rejects with RequestTimeoutError when the reply does not come in time, and a late reply is not taken for another', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/a`));
    const all: unknown[] = [];
    client.on('*', (message) => all.push(message));
    const error = await rejection(client.request('slow', { ms: 300 }, { timeout: 0.1 }));
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ code: 'DUET_ERR_REQUEST_TIMEOUT', request: 'slow', timeoutSeconds: 0.1 });
    // The server answers 'slow' late, then this one: each reply goes to its own request.
    expect(await client.request('say', { text: 'after' }, { timeout: 2 })).toEqual({ text: 'after', room: 'a' });
    expect(all).toEqual([]);
  });

  it("rejects with RemoteError carrying the server's message and the validator's issues", async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/a`));
    const error = await rejection(client.request('say', { text: '' }));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.code).toBe('DUET_ERR_REMOTE');
    expect(error.message).toBe("The 'say' message is not valid.");
    expect(error.issues).toEqual([{ message: 'text must not be empty', path: ['text'] }]);
    expect(client.state).toBe('open');
  });

  it("rejects with RemoteError whose remoteCode is the server's refusal code (a request over its rate limit)", async () => {
    const limited = defineContract({ path: '/limited', requests: { say: { message: Say, reply: z.object({ text: z.string() }) } } });
    @WebSocketService({ contract: limited })
    class LimitedService {
      @OnMessage('say', { schema: Say, rateLimit: { messages: 1, per: 60 } })
      onSay(_caller: Caller, message: z.infer<typeof Say>) {
        return { text: message.text };
      }
    }
    const { port } = await startApp([LimitedService]);
    const client = track(createClient(limited, `ws://127.0.0.1:${port}/limited`));
    expect(await client.request('say', { text: 'one' })).toEqual({ text: 'one' });
    const error = await rejection(client.request('say', { text: 'two' }));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.remoteCode).toBe('DUET_ERR_RATE_LIMITED');
    expect(client.state).toBe('open');
  });

  it('refuses a name outside the contract and data that is not an object, before anything is sent', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/a`));
    expect(() => client.send('nope' as 'shout', { text: 'x' })).toThrow(expect.objectContaining({ code: 'DUET_ERR_CLIENT_ARGUMENT' }));
    expect(await rejection(client.request('shout' as 'say', { text: 'x' }))).toMatchObject({ code: 'DUET_ERR_CLIENT_ARGUMENT' });
    expect(() => client.send('shout', 'text' as never)).toThrow(expect.objectContaining({ code: 'DUET_ERR_CLIENT_ARGUMENT' }));
  });

  it('speaks untyped too: any name, type and id on the wire', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(`ws://127.0.0.1:${port}/chat/free`));
    expect(await client.request('say', { text: 'untyped' })).toEqual({ text: 'untyped', room: 'free' });
  });

  it('refuses options that cannot work with a ClientOptionsError naming the field', () => {
    const cases: [string, object][] = [
      ['requestTimeout', { requestTimeout: 0 }],
      ['reconnect.maxDelay', { reconnect: { initialDelay: 5, maxDelay: 1 } }],
      ['reconnect.jitter', { reconnect: { jitter: 2 } }],
      ['offlineQueue', { offlineQueue: -1 }],
      ['serverTimeout', { serverTimeout: 2 ** 31 }],
      ['params.room', {}],
    ];
    for (const [field, options] of cases) {
      let caught: unknown;
      try {
        createClient(chat, 'ws://127.0.0.1:1', options);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ClientOptionsError);
      expect(caught).toMatchObject({ field });
    }
  });
});

describe('createClient: reconnects', () => {
  it('reconnects after app.stop() and a new app on the same port; sends made meanwhile go out in order', async () => {
    const first = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${first.port}/chat/r`, fast));
    const states: ClientState[] = [];
    client.onStateChange((state) => states.push(state));
    await client.opened();

    await stopApp(first.app);
    await eventually(() => client.state === 'reconnecting', 2000, 'reconnecting');

    client.send('shout', { text: 'one' });
    const two = client.request('say', { text: 'two' });
    client.send('shout', { text: 'three' });
    await pause(150); // a few failed attempts while nothing listens
    await startApp([ChatService], first.port);

    expect(await two).toEqual({ text: 'two', room: 'r' });
    await eventually(() => received.length === 3, 2000, 'the queued messages');
    expect(received).toEqual(['shout:one', 'say:two', 'shout:three']);
    expect(states[0]).toBe('open');
    expect(states[1]).toBe('reconnecting');
    expect(states.at(-1)).toBe('open');
    expect(client.closeInfo).toBeUndefined();
  });

  it('does not reconnect after the server closes with 1008; closeInfo says why', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/k`, fast));
    await client.opened();
    client.send('kick', {});
    await eventually(() => client.state === 'closed', 2000, 'closed');
    expect(client.closeInfo).toEqual({ code: 1008, reason: 'kicked', by: 'server', unsent: 0 });
    await pause(300); // many reconnect delays
    expect(opened).toBe(1);
    expect(() => client.send('shout', { text: 'x' })).toThrow(ClientClosedError);
  });

  it('does not reconnect after an upgrade refused with 401, and opened() rejects', async () => {
    let upgrades = 0;
    @WebSocketService({ path: '/chat/:room' })
    class Guarded {
      @OnUpgrade() onUpgrade() {
        upgrades += 1;
        throw new UpgradeError(401, 'who are you?');
      }
    }
    const { port } = await startApp([Guarded]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/g`, fast));
    const error = await rejection(client.opened());
    expect(error).toBeInstanceOf(ClientClosedError);
    expect(client.closeInfo).toMatchObject({ status: 401, by: 'server' });
    await pause(300);
    expect(upgrades).toBe(1);
  });

  it('keeps retrying a refused connect (nothing listening) with backoff until a server comes', async () => {
    const port = await freePort();
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/late`, fast));
    await pause(150);
    expect(client.state).toBe('reconnecting');
    await startApp([ChatService], port);
    await client.opened();
    expect(await client.request('say', { text: 'late' })).toEqual({ text: 'late', room: 'late' });
  });
});

describe('createClient: the offline queue', () => {
  it('queues up to offlineQueue messages while connecting, refuses the next with OfflineQueueFullError, and flushes in order', async () => {
    const port = await freePort();
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/q`, { ...fast, offlineQueue: 3 }));
    client.send('shout', { text: '1' });
    const second = client.request('say', { text: '2' }, { timeout: 5 });
    client.send('shout', { text: '3' });
    let full: unknown;
    try {
      client.send('shout', { text: '4' });
    } catch (error) {
      full = error;
    }
    expect(full).toBeInstanceOf(OfflineQueueFullError);
    expect(full).toMatchObject({ code: 'DUET_ERR_OFFLINE_QUEUE_FULL', limit: 3 });
    expect(await rejection(client.request('say', { text: '5' }))).toBeInstanceOf(OfflineQueueFullError);

    await startApp([ChatService], port);
    expect(await second).toEqual({ text: '2', room: 'q' });
    await eventually(() => received.length === 3, 2000, 'the queued messages');
    expect(received).toEqual(['shout:1', 'say:2', 'shout:3']);
  });

  it('times a queued request out from the call, and does not send it afterwards', async () => {
    const port = await freePort();
    const client = track(createClient(chat, `ws://127.0.0.1:${port}/chat/q`, fast));
    const error = await rejection(client.request('say', { text: 'stale' }, { timeout: 0.1 }));
    expect(error).toBeInstanceOf(RequestTimeoutError);
    await startApp([ChatService], port);
    await client.opened();
    expect(await client.request('say', { text: 'fresh' })).toEqual({ text: 'fresh', room: 'q' });
    expect(received).toEqual(['say:fresh']);
  });
});

describe('createClient: serverTimeout', () => {
  it('drops a connection on which nothing arrives for serverTimeout and reconnects, though the socket never closed', async () => {
    const { port } = await startApp([ChatService]);
    const proxy = await silenceableProxy(port);
    const client = track(createClient(chat, `ws://127.0.0.1:${proxy.port}/chat/s`, { ...fast, serverTimeout: 0.3 }));
    const states: ClientState[] = [];
    client.onStateChange((state) => states.push(state));
    await client.opened();
    // Messages keep the connection alive past serverTimeout.
    for (let i = 0; i < 4; i += 1) {
      await client.request('say', { text: `alive ${i}` });
      await pause(100);
    }
    expect(states).toEqual(['open']);

    proxy.silence();
    const lost = client.request('say', { text: 'into the void' }, { timeout: 5 });
    expect(await rejection(lost)).toBeInstanceOf(ConnectionLostError);
    await eventually(() => client.state === 'open' && proxy.connections() === 2, 3000, 'the reconnect through the proxy');
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    expect(await client.request('say', { text: 'back' })).toEqual({ text: 'back', room: 's' });
  });
});
