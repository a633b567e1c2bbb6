// Scale-out: broadcasts go through a backplane, so they reach connections held by every
// process. Run several with one REDIS_URL; two apps in one process can share an InMemoryBus.
import 'reflect-metadata';
import { Container, inject } from 'inversify';
import { RedisBackplane } from '@duet/redis';
import {
  type Backplane, Caller, ConnectionRegistry, InMemoryBackplane, InMemoryBus, OnText,
  WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/news' })
export class NewsService {
  constructor(@inject(ConnectionRegistry) private readonly registry: ConnectionRegistry) {}

  @OnText()
  async onText(caller: Caller, text: string) {
    await this.registry.broadcast(NewsService).writeTextMessage(text); // every node, sender too
    return `${await this.registry.clusterCount()} readers`;
  }
}

export async function start(port = 8080, backplane?: Backplane): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [NewsService], backplane }));
  return WebSocketApplication.start(container);
}

/** Two nodes in one process, as a test would run them. */
export async function startPair(): Promise<WebSocketApplication[]> {
  const bus = new InMemoryBus();
  return Promise.all([start(0, new InMemoryBackplane(bus)), start(0, new InMemoryBackplane(bus))]);
}

if (require.main === module) {
  // REDIS_URL=redis://127.0.0.1:6379 PORT=8081 npx ts-node -T docs/snippets/scale-out.ts, per node
  const url = process.env.REDIS_URL;
  void start(Number(process.env.PORT ?? 8080), url ? new RedisBackplane({ url }) : undefined)
    .then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
