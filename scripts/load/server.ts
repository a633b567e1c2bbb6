// The server side of the load test: a Duet app in its own process, driven over IPC by
// load-test.ts — it reports connections, memory and handles, and broadcasts on request.
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnOpen, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/load', scope: 'singleton' })
class LoadService {
  @OnOpen()
  onOpen(_caller: Caller): void {}
}

export interface ServerStats {
  connections: number;
  rss: number;
  heapUsed: number;
  handles: number;
}

function stats(app: WebSocketApplication): ServerStats {
  global.gc?.();
  const memory = process.memoryUsage();
  return {
    connections: app.registry.count(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    handles: process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length,
  };
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(
    webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1', maxConnections: 20000 } }, services: [LoadService] }),
  );
  const app = await WebSocketApplication.start(container);
  process.on('message', (request: { id: number; command: string }) => {
    const answer = (body: unknown) => process.send!({ id: request.id, body });
    if (request.command === 'stats') answer(stats(app));
    else if (request.command === 'broadcast') {
      const started = process.hrtime.bigint();
      void app.registry
        .broadcast()
        .writeTextMessage(`broadcast at ${Date.now()}`)
        .then((result) => answer({ ...result, writeMs: Number(process.hrtime.bigint() - started) / 1e6 }));
    } else if (request.command === 'stop') void app.stop({ timeout: 5 }).then(() => answer('stopped'));
  });
  process.send!({ id: 0, body: { port: app.port() } });
}

void main();
