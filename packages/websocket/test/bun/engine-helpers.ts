// Helpers for the specs that run on both engines: under jest (Node) they run on ws, under
// `bun test` on Bun's native server ('auto' picks it). Clients are the plain `ws` client and
// raw sockets of ../helpers and ../conformance; only the app's start takes the engine.
import 'reflect-metadata';
import { Container } from 'inversify';
import { type EngineOption, type ListenerConfig, type ServiceClass, WebSocketApplication, webSocketModule } from '@duet/websocket';
import { cleanup } from '../helpers';

/** Whether these specs run under Bun. */
export const RUNS_ON_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

/** The engine 'auto' must pick here. */
export const NATIVE_ENGINE = RUNS_ON_BUN ? 'bun' : 'ws';

export interface StartedApp {
  app: WebSocketApplication;
  url(path: string): string;
}

const running = new Set<WebSocketApplication>();

/**
 * Starts `services` on 127.0.0.1:0 with `engine` (default 'auto'); `stopAll()` stops them.
 * `listeners` adds named listeners beside the default one; `bind` binds more in the container.
 */
export async function startApp(
  services: ServiceClass[],
  options: { engine?: EngineOption; listener?: ListenerConfig; listeners?: Record<string, ListenerConfig>; bind?: (container: Container) => void } = {},
): Promise<StartedApp> {
  const container = new Container();
  const listener = options.listener ?? { port: 0, host: '127.0.0.1' };
  options.bind?.(container);
  container.load(webSocketModule({ listeners: { ...options.listeners, default: listener }, services, engine: options.engine }));
  const app = await WebSocketApplication.start(container);
  running.add(app);
  const scheme = listener.secureSocket === undefined ? 'ws' : 'wss';
  return { app, url: (path) => `${scheme}://127.0.0.1:${app.port()}${path}` };
}

/** What `WebSocketApplication.start` rejects with (an app that starts is stopped and fails). */
export async function startFailure(services: ServiceClass[], options: { engine?: unknown; listener?: unknown } = {}): Promise<unknown> {
  const container = new Container();
  const listener = options.listener ?? { port: 0, host: '127.0.0.1' };
  container.load(webSocketModule({ listeners: { default: listener as ListenerConfig }, services, engine: options.engine as EngineOption }));
  return WebSocketApplication.start(container).then(
    async (app) => {
      await app.stop();
      throw new Error('start succeeded but should have failed');
    },
    (error: unknown) => error,
  );
}

/** Closes every client of ../helpers and stops every app started here. */
export async function stopAll(): Promise<void> {
  await cleanup();
  await Promise.all([...running].map((app) => app.stop({ timeout: 2 })));
  running.clear();
}
