// Duet's typed JSON dispatch (bench/servers/duet-json.ts) with one global interceptor that only
// passes through: what running a handler inside an interceptor costs (docs/performance.md).
import 'reflect-metadata';
import { Container, injectable } from 'inversify';
import {
  Caller,
  type HandlerContext,
  type Interceptor,
  OnMessage,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';

// The service of duet-json.ts, repeated: importing that file would start its server too.
@WebSocketService({ path: '/ws', dispatcherKey: 'type' })
class JsonService {
  @OnMessage('echo')
  onEcho(_caller: Caller, message: { type: 'echo'; data: unknown }) {
    return { type: 'echo', data: message.data };
  }

  @OnMessage('ping')
  onPing() {
    return { type: 'pong' };
  }
}

@injectable()
class PassThrough implements Interceptor {
  intercept(_context: HandlerContext, next: () => Promise<unknown>) {
    return next();
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(
    webSocketModule({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', services: [JsonService], interceptors: [PassThrough] }),
  );
  const app = await WebSocketApplication.start(container);
  console.log(`listening on ws://127.0.0.1:${app.port()}/ws`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
