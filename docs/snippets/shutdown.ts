// Graceful shutdown: on SIGTERM or SIGINT no new connections are taken, running handlers
// finish and send their replies, then every client gets 1001 (going away).
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Container } from 'inversify';
import {
  Caller, OnText, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/jobs' })
export class JobService {
  @OnText()
  async onText(caller: Caller, job: string) {
    await sleep(300); // work that should not be cut short
    return `done: ${job}`;
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [JobService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start(Number(process.env.PORT ?? 8080)).then((app) => {
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { timeout: 10 }); // opt-in
    console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`);
  });
}
