// Every server timeout is held to what a Node timer can wait (2^31-1 ms): a longer one, or
// Infinity, would fire after 1 ms. Refused at start (configs) or at the call (stop).
import 'reflect-metadata';
import {
  Caller,
  InvalidArgumentError,
  ListenerConfigError,
  OnOpen,
  ServiceConfigError,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, pause, serviceWith, startError, startServices } from './helpers';

afterEach(cleanup);

@WebSocketService({ path: '/ws' })
class HelloService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage('hello');
  }
}

// 2147484 s is the first whole second past 2^31-1 ms.
const TOO_LONG = 2147484;

describe('timeouts a timer cannot hold', () => {
  it.each([
    ['idleTimeout', Infinity],
    ['idleTimeout', TOO_LONG],
    ['pingInterval', TOO_LONG],
    ['pongTimeout', Infinity],
    ['drainTimeout', TOO_LONG],
  ])('refuses a service %s of %s at start with a ServiceConfigError naming the class and field', async (field, value) => {
    const error = await startError([serviceWith('Timed', { path: '/t', pingInterval: 1, [field]: value })]);
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect((error as ServiceConfigError).service).toBe('Timed');
    expect((error as ServiceConfigError).field).toBe(field);
    expect((error as Error).message).toMatch(/2147483\.647 seconds|finite/);
  });

  it.each([Infinity, TOO_LONG, 0, NaN])('refuses a listener handshakeTimeout of %s at start with a ListenerConfigError', async (value) => {
    const error = await startError([HelloService], { default: { port: 0, host: '127.0.0.1', handshakeTimeout: value } });
    expect(error).toBeInstanceOf(ListenerConfigError);
    expect((error as ListenerConfigError).field).toBe('handshakeTimeout');
  });

  it('accepts the longest timeouts a timer can hold', async () => {
    const Longest = serviceWith('Longest', { path: '/ws', idleTimeout: 2147483, pingInterval: 2147483 });
    const { url } = await startServices([Longest], undefined, { port: 0, host: '127.0.0.1', handshakeTimeout: 2147483 });
    const client = await TestClient.connect(url('/ws'));
    // A timer that overflowed would have fired after 1 ms: the idle close or a ping.
    await pause(100);
    expect(client.pings).toHaveLength(0);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it.each([Infinity, TOO_LONG, -1, NaN])(
    'rejects stop({ timeout: %s }) with InvalidArgumentError and leaves the connections open',
    async (timeout) => {
      const { app, url } = await startServices([HelloService]);
      const client = await TestClient.connect(url('/ws'));
      expect(await client.nextText()).toBe('hello');
      const stopping = app.stop({ timeout });
      await expect(stopping).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(stopping).rejects.toThrow(/timeout/);
      await pause(50);
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      // A valid stop afterwards closes as a stop does: 1001, not a termination.
      await app.stop({ timeout: 2 });
      expect((await client.waitClosed()).code).toBe(1001);
    },
  );

  it('refuses an endless stop timeout when the shutdown hooks are installed, not when the signal comes', async () => {
    const { app } = await startServices([HelloService]);
    expect(() => app.enableShutdownHooks(['SIGUSR2'], { timeout: Infinity })).toThrow(InvalidArgumentError);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});
