import 'reflect-metadata';
import { createHook } from 'node:async_hooks';
import { Container, injectable } from 'inversify';
import {
  ApplicationStateError,
  Caller,
  HandshakeError,
  OnText,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { closeTestApps, createTestApp, waitForClose } from '@duet/testing';

afterEach(closeTestApps);

@injectable()
class Clock {
  now(): string {
    return new Date().toISOString();
  }
}

@WebSocketService({ path: '/greet' })
class GreeterService {
  constructor(private readonly clock: Clock) {}

  @OnText()
  onText(_caller: Caller, name: string): string {
    return `Hello, ${name}! It is ${this.clock.now()}.`;
  }
}

@WebSocketService({ path: '/admin/echo', listener: 'admin' })
class AdminEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `admin: ${text}`;
  }
}

const fixedClock: Clock = { now: () => 'noon' };

describe('createTestApp', () => {
  it('starts services on an ephemeral port, binds a test double, and connects a client to the app', async () => {
    const app = await createTestApp({ services: [GreeterService], bindings: [[Clock, fixedClock]] });
    expect(app.port()).toBeGreaterThan(0);
    expect(app.url('/greet')).toBe(`ws://127.0.0.1:${app.port()}/greet`);
    const client = await app.client('/greet');
    await client.writeTextMessage('ann');
    expect(await client.readTextMessage()).toBe('Hello, ann! It is noon.');
    expect(app.registry.count()).toBe(1);
  });

  it("starts an app's own container on ephemeral ports of 127.0.0.1, whatever ports it declares", async () => {
    const container = new Container();
    container.bind(Clock).toSelf();
    container.load(
      webSocketModule({
        listeners: { default: { port: 8080, host: '0.0.0.0' }, admin: { port: 9000 } },
        services: [GreeterService, AdminEchoService],
      }),
    );
    const app = await createTestApp({ container, bindings: [[Clock, fixedClock]] });
    expect([app.port(), app.port('admin')]).not.toContain(8080);
    expect(app.port('admin')).not.toBe(9000);
    const greeter = await app.client('/greet');
    await greeter.writeTextMessage('bob');
    expect(await greeter.readTextMessage()).toBe('Hello, bob! It is noon.');
    const admin = await app.client('/admin/echo', { listener: 'admin' });
    await admin.writeTextMessage('hi');
    expect(await admin.readTextMessage()).toBe('admin: hi');
  });

  it('lets configure() bind what a constant cannot express', async () => {
    const app = await createTestApp({
      services: [GreeterService],
      configure: (container) => container.bind(Clock).toDynamicValue(() => ({ now: () => 'dusk' })),
    });
    const client = await app.client('/greet');
    await client.writeTextMessage('cat');
    expect(await client.readTextMessage()).toBe('Hello, cat! It is dusk.');
  });

  it("GETs what a listener's onRequest serves, and reports a refused upgrade as HandshakeError", async () => {
    const app = await createTestApp({
      services: [AdminEchoService],
      listeners: {
        admin: {
          port: 0,
          onRequest: (request, response) => response.writeHead(200, { 'Content-Type': 'text/plain' }).end(`you asked for ${request.url}`),
        },
      },
    });
    const response = await app.httpGet('/health', 'admin');
    expect(response.status).toBe(200);
    expect(response.body).toBe('you asked for /health');
    const refusal = await app.client('/nowhere', { listener: 'admin' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(HandshakeError);
    expect((refusal as HandshakeError).status).toBe(404);
  });

  it('close() closes every client with 1000, stops the app, and refuses new clients afterwards', async () => {
    const app = await createTestApp({ services: [GreeterService], bindings: [[Clock, fixedClock]] });
    const clients = await Promise.all([app.client('/greet'), app.client('/greet')]);
    await app.close();
    expect(await Promise.all(clients.map((client) => waitForClose(client)))).toEqual([
      { code: 1000, reason: '' },
      { code: 1000, reason: '' },
    ]);
    expect(app.app.connectionCount()).toBe(0);
    await expect(app.client('/greet')).rejects.toThrow(ApplicationStateError);
    await expect(app.close()).resolves.toBeUndefined();
  });

  it('leaves no socket, server or timer open once closed', async () => {
    const opened = trackOpenResources();
    try {
      const app = await createTestApp({ services: [GreeterService], bindings: [[Clock, fixedClock]] });
      const client = await app.client('/greet');
      await client.writeTextMessage('dan');
      await client.readTextMessage();
      await app.httpGet('/greet');
      expect(opened.count()).not.toEqual({});
      await app.close();
      // node:http caches the Date header for the rest of the current second behind a timer of
      // its own (unref'd, not Duet's): it ends within a second, or a little later when a busy
      // machine runs timers late (seen under the whole suite's parallel workers).
      const deadline = Date.now() + 2500;
      do {
        await new Promise((resolve) => setTimeout(resolve, 250));
        await destroyHooksRun();
      } while (Object.keys(opened.count()).length > 0 && Date.now() < deadline);
      expect(opened.count()).toEqual({});
    } finally {
      opened.stop();
    }
  });
});

/**
 * Sockets, servers and timers created from now on and still open, counted by kind. Only what is
 * created while tracking counts, so timers the test runner keeps for itself do not.
 */
function trackOpenResources(): { count(): Record<string, number>; stop(): void } {
  const open = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type) {
      if (/TCP|Timeout/.test(type)) open.set(asyncId, type);
    },
    destroy(asyncId) {
      open.delete(asyncId);
    },
  }).enable();
  return {
    count() {
      const counts: Record<string, number> = {};
      for (const kind of open.values()) counts[kind] = (counts[kind] ?? 0) + 1;
      return counts;
    },
    stop: () => hook.disable(),
  };
}

/** Node reports closed handles to destroy hooks from a later turn of the event loop. */
async function destroyHooksRun(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
}
