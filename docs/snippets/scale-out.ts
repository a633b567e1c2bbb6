// Scale-out: broadcasts go through a backplane, so they reach connections held by every
// process. Here two apps share an in-memory bus; across machines, pass a RedisBackplane.
import 'reflect-metadata';
import { Container, inject } from 'inversify';
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
export async function startCluster(): Promise<WebSocketApplication[]> {
  const bus = new InMemoryBus();
  return Promise.all([start(0, new InMemoryBackplane(bus)), start(0, new InMemoryBackplane(bus))]);
}

if (require.main === module) {
  void startCluster().then((nodes) => console.log(`nodes on ports ${nodes.map((node) => node.port())}`));
}
