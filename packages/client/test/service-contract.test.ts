// The server half of a contract: @WebSocketService({ contract }) against @duet/client on real
// sockets. The contract gives the path, the keys and the schemas; start refuses a service that
// disagrees with it; replies are checked outside production; events go out with caller.emit and
// registry.to(room).emit; keepAlive keeps a serverTimeout client connected to a quiet service.
import 'reflect-metadata';
import { Container } from 'inversify';
import { z } from 'zod';
import {
  Caller,
  ConnectionRegistry,
  InvalidArgumentError,
  OnError,
  OnMessage,
  OnOpen,
  ServiceConfigError,
  type ServiceClass,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { type ClientState, RemoteError, createClient, defineContract } from '@duet/client';
import { cleanup, pause, rejection, startApp, track } from './helpers';

afterEach(cleanup);

const chat = defineContract({
  path: '/rooms/:room',
  correlationKey: 'ref',
  requests: {
    say: { message: z.object({ text: z.string().min(1, 'text must not be empty') }), reply: z.object({ text: z.string(), room: z.string() }) },
    broken: { message: z.object({}), reply: z.object({ ok: z.boolean() }) },
  },
  messages: {
    announce: { message: z.object({ text: z.string() }) },
    emitUnknown: { message: z.object({}) },
  },
  events: { said: z.object({ text: z.string(), from: z.string() }) },
});

const errors: Error[] = [];
const emitFailures: unknown[] = [];
beforeEach(() => {
  errors.length = 0;
  emitFailures.length = 0;
});

@WebSocketService({ contract: chat })
class ChatService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnOpen()
  onOpen(caller: Caller<typeof chat>): void {
    caller.join(caller.params.room);
  }

  // No schema here: the contract's validates the message, and types it.
  @OnMessage('say')
  async onSay(caller: Caller<typeof chat>, message: { text: string }) {
    await caller.emit('said', { text: message.text, from: 'server' });
    return { text: message.text, room: caller.params.room };
  }

  @OnMessage('broken')
  onBroken() {
    return { ok: 'not a boolean' };
  }

  @OnMessage('announce')
  onAnnounce(caller: Caller<typeof chat>, message: { text: string }): Promise<unknown> {
    return this.registry.to(caller.params.room).emit<typeof chat, 'said'>('said', { text: message.text, from: 'room' });
  }

  @OnMessage('emitUnknown')
  async onEmitUnknown(caller: Caller<typeof chat>): Promise<void> {
    try {
      // @ts-expect-error 'shouted' is not an event of the contract
      await caller.emit('shouted', { text: 'x' });
    } catch (error) {
      emitFailures.push(error);
    }
  }

  @OnError()
  onError(_caller: Caller, error: Error): void {
    errors.push(error);
  }
}

const fast = { reconnect: { initialDelay: 0.02, maxDelay: 0.1 } };

async function startRefused(service: ServiceClass): Promise<unknown> {
  const container = new Container();
  container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1' } }, services: [service] }));
  let app: WebSocketApplication | undefined;
  try {
    app = await WebSocketApplication.start(container);
  } catch (error) {
    return error;
  }
  await app.stop({ timeout: 1 });
  throw new Error('expected start to fail');
}

describe('@WebSocketService({ contract })', () => {
  it("serves the contract's path and answers a typed request, the reply carrying the contract's correlationKey", async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}`, { params: { room: 'lobby' } }));
    const said: unknown[] = [];
    client.on('said', (event) => said.push(event));
    expect(await client.request('say', { text: 'hello' })).toEqual({ text: 'hello', room: 'lobby' });
    // caller.emit sent the event before the reply: { type: 'said', ...data }.
    expect(said).toEqual([{ type: 'said', text: 'hello', from: 'server' }]);
  });

  it("refuses a request its contract schema refuses: RemoteError with the validator's issues, and the connection stays", async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}`, { params: { room: 'lobby' } }));
    const error = await rejection(client.request('say', { text: '' }));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.message).toBe("The 'say' message is not valid.");
    expect(error.issues).toEqual([{ message: 'text must not be empty', path: ['text'] }]);
    expect(errors).toEqual([expect.objectContaining({ code: 'DUET_ERR_MESSAGE_VALIDATION' })]);
    expect(await client.request('say', { text: 'still here' })).toEqual({ text: 'still here', room: 'lobby' });
  });

  it('answers a reply that does not match the contract with an error reply and @OnError, outside production', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}`, { params: { room: 'r' } }));
    const error = await rejection(client.request('broken', {}));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.message).toBe("The reply to 'broken' does not match the contract.");
    expect(error.issues).toEqual([expect.objectContaining({ path: ['ok'] })]);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe("The reply to 'broken' does not match the contract.");
    expect(client.state).toBe('open');
  });

  it('sends the reply unchecked when NODE_ENV is production at start', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    let port: number;
    try {
      ({ port } = await startApp([ChatService]));
    } finally {
      process.env.NODE_ENV = before;
    }
    const client = track(createClient(chat, `ws://127.0.0.1:${port}`, { params: { room: 'r' } }));
    expect(await client.request('broken', {})).toEqual({ ok: 'not a boolean' });
    expect(errors).toEqual([]);
  });

  it('delivers registry.to(room).emit to every client in the room, and to no other room', async () => {
    const { port } = await startApp([ChatService]);
    const url = `ws://127.0.0.1:${port}`;
    const [a, b, other] = ['blue', 'blue', 'red'].map((room) => track(createClient(chat, url, { params: { room } })));
    const got: Record<string, unknown[]> = { a: [], b: [], other: [] };
    a.on('said', (event) => got.a.push(event));
    b.on('said', (event) => got.b.push(event));
    other.on('said', (event) => got.other.push(event));
    await Promise.all([a.opened(), b.opened(), other.opened()]);
    await a.request('say', { text: 'sync' }); // a's own emit, and a is surely in its room
    got.a.length = 0;
    await b.opened();
    a.send('announce', { text: 'to blue' });
    await a.request('say', { text: 'after' }); // handled in order: the broadcast went before
    await other.request('say', { text: 'own' });
    await pause(50);
    expect(got.b).toContainEqual({ type: 'said', text: 'to blue', from: 'room' });
    expect(got.a[0]).toEqual({ type: 'said', text: 'to blue', from: 'room' });
    expect(got.other).toEqual([{ type: 'said', text: 'own', from: 'server' }]);
  });

  it('rejects caller.emit of an event the contract does not declare with InvalidArgumentError', async () => {
    const { port } = await startApp([ChatService]);
    const client = track(createClient(chat, `ws://127.0.0.1:${port}`, { params: { room: 'r' } }));
    client.send('emitUnknown', {});
    await client.request('say', { text: 'after' });
    expect(emitFailures).toHaveLength(1);
    expect(emitFailures[0]).toBeInstanceOf(InvalidArgumentError);
    expect((emitFailures[0] as Error).message).toContain("'shouted' is not an event of the contract (its events: said)");
  });
});

describe('@WebSocketService({ contract }) at start', () => {
  it('fails naming the service and the key when a contract request has no @OnMessage handler', async () => {
    @WebSocketService({ contract: chat })
    class MissingSay {
      @OnMessage('broken') onBroken() {}
      @OnMessage('announce') onAnnounce() {}
      @OnMessage('emitUnknown') onEmit() {}
    }
    const error = await startRefused(MissingSay);
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect((error as Error).message).toBe("MissingSay: 'contract.requests.say' has no @OnMessage('say') handler in the service");
  });

  it('fails when a service with a contract has no @OnMessage handler at all', async () => {
    @WebSocketService({ contract: chat })
    class NoHandlers {}
    expect(((await startRefused(NoHandlers)) as Error).message).toBe(
      "NoHandlers: 'contract.requests.say' has no @OnMessage('say') handler in the service",
    );
  });

  it("fails naming the service and the key when a handler's key is not in the contract", async () => {
    @WebSocketService({ contract: chat })
    class ExtraKey {
      @OnMessage('say') onSay() {}
      @OnMessage('broken') onBroken() {}
      @OnMessage('announce') onAnnounce() {}
      @OnMessage('emitUnknown') onEmit() {}
      @OnMessage('whisper') onWhisper() {}
    }
    const error = await startRefused(ExtraKey);
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect((error as Error).message).toBe(
      "ExtraKey: 'onWhisper' has @OnMessage('whisper'), which the contract names neither as a request nor as a message " +
        '(requests: say, broken; messages: announce, emitUnknown)',
    );
  });

  it("fails when a handler brings a schema other than the contract's, or the config contradicts the contract", async () => {
    @WebSocketService({ contract: chat })
    class OwnSchema {
      @OnMessage('say', { schema: z.object({ text: z.string() }) }) onSay() {}
      @OnMessage('broken') onBroken() {}
      @OnMessage('announce') onAnnounce() {}
      @OnMessage('emitUnknown') onEmit() {}
    }
    expect(((await startRefused(OwnSchema)) as Error).message).toBe(
      "OwnSchema: 'onSay' has a schema of its own for 'say': leave it out, the contract's (contract.requests.say.message) is used",
    );
    @WebSocketService({ contract: chat, path: '/elsewhere' })
    class OtherPath {}
    expect(((await startRefused(OtherPath)) as Error).message).toBe(
      "OtherPath: 'path' is '/elsewhere' but the contract says '/rooms/:room': leave it out, the contract gives it",
    );
  });
});

describe('keepAlive', () => {
  const quiet = defineContract({ path: '/quiet', requests: { hi: { message: z.object({}), reply: z.object({}) } } });

  @WebSocketService({ contract: quiet, keepAlive: 0.2 })
  class KeptAlive {
    @OnMessage('hi') onHi() {
      return {};
    }
  }

  @WebSocketService({ contract: { ...quiet, path: '/silent' } })
  class Silent {
    @OnMessage('hi') onHi() {
      return {};
    }
  }

  it('keeps a serverTimeout client connected to a service that has nothing to say; without it the client reconnects', async () => {
    const { port } = await startApp([KeptAlive, Silent]);
    const kept = track(createClient(quiet, `ws://127.0.0.1:${port}`, { ...fast, serverTimeout: 0.35 }));
    const silent = track(createClient({ ...quiet, path: '/silent' }, `ws://127.0.0.1:${port}`, { ...fast, serverTimeout: 0.35 }));
    const keptStates: ClientState[] = [];
    const silentStates: ClientState[] = [];
    const frames: unknown[] = [];
    kept.on('*', (message) => frames.push(message));
    kept.onStateChange((state) => keptStates.push(state));
    silent.onStateChange((state) => silentStates.push(state));
    await Promise.all([kept.opened(), silent.opened()]);
    await pause(1200);
    expect(keptStates).toEqual(['open']); // and never 'reconnecting'
    expect(kept.state).toBe('open');
    expect(frames).toEqual([]); // '$keepalive' is swallowed by the client
    expect(silentStates).toContain('reconnecting');
    expect(await kept.request('hi', {})).toEqual({});
  });
});
