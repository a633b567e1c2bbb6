// `createTestApp`: a Duet app started for a test on ephemeral ports of 127.0.0.1, with test
// doubles bound in its container, clients bound to it, and one `close()` for all of it.
import { Container, type ServiceIdentifier } from 'inversify';
import {
  ApplicationStateError,
  type ConnectionRegistry,
  DEFAULT_LISTENER,
  WebSocketApplication,
  WebSocketClient,
  type WebSocketClientConfig,
  type WebSocketModuleOptions,
  webSocketModule,
} from '@duet/websocket';
import { moveListenersToEphemeralPorts } from './ephemeral-listeners';
import { type HttpResponse, httpGet } from './http-get';

/** Test doubles: pairs of a container token and the value bound to it in place of its bindings. */
export type TestBindings = ReadonlyArray<readonly [ServiceIdentifier, unknown]>;

/** What every form of `createTestApp` accepts besides the services. */
export interface TestAppDoubles {
  /**
   * Bound as constants before start, each replacing whatever the token was bound to
   * (`container.rebind`): `[[Clock, fixedClock], [LOGGER, quietLogger]]`.
   */
  bindings?: TestBindings;
  /** Called before start, after the module is loaded and before `bindings`, for anything else. */
  configure?: (container: Container) => void;
}

/** `createTestApp({ services })`: a new container with one `webSocketModule` (default listener only, unless `listeners`). */
export interface TestServicesOptions extends Omit<WebSocketModuleOptions, 'port' | 'host'>, TestAppDoubles {}

/** `createTestApp({ container })`: an app's own container, its listeners moved to ephemeral ports. */
export interface TestContainerOptions extends TestAppDoubles {
  container: Container;
}

/** The argument of `createTestApp`. */
export type TestAppSource = Container | TestServicesOptions | TestContainerOptions;

/** `TestApp.client`'s configuration: the client's own, plus which listener to connect to. */
export interface TestClientConfig extends WebSocketClientConfig {
  /** The listener to connect to (default `'default'`). */
  listener?: string;
}

/** Seconds a test client's handshake may take, and a read may wait, unless its config says otherwise. */
export const TEST_CLIENT_TIMEOUT = 5;

const open = new Set<TestApp>();

/**
 * A started app and the clients opened through it. `close()` closes every client and stops the
 * app; `closeTestApps()` does so for every test app still open.
 */
export class TestApp {
  private readonly clients = new Set<WebSocketClient>();
  private closing: Promise<void> | undefined;

  /** @internal Made by `createTestApp`. */
  constructor(
    /** The running application. */
    readonly app: WebSocketApplication,
    /** Its container, doubles included. */
    readonly container: Container,
    private readonly secureListeners: ReadonlySet<string>,
  ) {}

  /** Every open connection, rooms and broadcasts of the app. */
  get registry(): ConnectionRegistry {
    return this.app.registry;
  }

  /** The ephemeral port of a listener. */
  port(listener: string = DEFAULT_LISTENER): number {
    return this.app.port(listener);
  }

  /** `ws://127.0.0.1:<port><path>` (`wss://` for a TLS listener). */
  url(path: string, listener: string = DEFAULT_LISTENER): string {
    const scheme = this.secureListeners.has(listener) ? 'wss' : 'ws';
    return `${scheme}://127.0.0.1:${this.port(listener)}${path}`;
  }

  /**
   * Connects a `WebSocketClient` to `path`, closed by `close()`. Handshake and read timeouts
   * default to 5 s, so a missing reply fails with `ReadTimeoutError` rather than the test's timeout.
   * A refused upgrade rejects with `HandshakeError` (its `status`: 404, 401…).
   */
  async client(path: string, config: TestClientConfig = {}): Promise<WebSocketClient> {
    const { listener, ...clientConfig } = config;
    this.checkOpen();
    const client = await WebSocketClient.connect(this.url(path, listener), {
      handshakeTimeout: TEST_CLIENT_TIMEOUT,
      readTimeout: TEST_CLIENT_TIMEOUT,
      ...clientConfig,
    });
    this.clients.add(client);
    // close() began while the handshake was under way: its sweep of the clients missed this one.
    if (this.closing !== undefined) {
      await client.close(1000, '', 1);
      throw new ApplicationStateError('the test app was closed while the client was connecting');
    }
    return client;
  }

  /** A plain HTTP GET on a listener (what its `onRequest` serves), without keep-alive. */
  httpGet(path: string, listener: string = DEFAULT_LISTENER, timeoutMs = TEST_CLIENT_TIMEOUT * 1000): Promise<HttpResponse> {
    if (this.secureListeners.has(listener)) {
      return Promise.reject(new ApplicationStateError(`httpGet speaks plain HTTP, and listener '${listener}' uses TLS`));
    }
    return httpGet(this.port(listener), path, timeoutMs);
  }

  /**
   * Closes every client (1000, terminated after 1 s without an answer), then stops the app
   * (`app.stop({ timeout: 2 })`). Resolves when every socket and server is closed; calling it
   * again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all([...this.clients].map((client) => client.close(1000, '', 1)));
        await this.app.stop({ timeout: 2 });
      } finally {
        open.delete(this);
      }
    })();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing !== undefined) throw new ApplicationStateError('the test app is closed');
  }
}

/**
 * Starts an app for a test: every listener on an ephemeral port of 127.0.0.1, `bindings`
 * replacing the container's, then `WebSocketApplication.start`. Close it with `app.close()`,
 * or every open one with `afterEach(closeTestApps)`.
 *
 * @example
 * ```ts
 * afterEach(closeTestApps);
 *
 * it('greets', async () => {
 *   const app = await createTestApp({ services: [GreeterService], bindings: [[Clock, fixedClock]] });
 *   const client = await app.client('/greet');
 *   await client.writeTextMessage('ann');
 *   expect(await client.readTextMessage()).toBe('Hello, ann! It is noon.');
 * });
 * ```
 *
 * `createTestApp(container)` or `createTestApp({ container, bindings })` starts an app's own
 * container instead; its `webSocketModule` listeners are moved to ephemeral ports (the
 * container is changed for good: use a fresh one per test).
 */
export async function createTestApp(source: TestAppSource): Promise<TestApp> {
  const { container, doubles } = prepare(source);
  const secure = moveListenersToEphemeralPorts(container);
  doubles.configure?.(container);
  for (const [token, value] of doubles.bindings ?? []) container.rebind(token).toConstantValue(value);
  const app = new TestApp(await WebSocketApplication.start(container), container, secure);
  open.add(app);
  return app;
}

/** Closes every test app still open (and its clients); made for `afterEach(closeTestApps)`. */
export async function closeTestApps(): Promise<void> {
  await Promise.all([...open].map((app) => app.close()));
}

function prepare(source: TestAppSource): { container: Container; doubles: TestAppDoubles } {
  // Told apart by shape, not `instanceof`, which a second copy of inversify would defeat.
  if ('services' in source) {
    const { bindings, configure, ...moduleOptions } = source;
    const container = new Container();
    const listeners = moduleOptions.listeners ?? { [DEFAULT_LISTENER]: { port: 0 } };
    container.load(webSocketModule({ ...moduleOptions, listeners }));
    return { container, doubles: { bindings, configure } };
  }
  if ('container' in source) return { container: source.container, doubles: source };
  return { container: source, doubles: {} };
}
