// Compression: a feed whose broadcasts are deflated once for every socket, and a client that offers it.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, ConnectionRegistry, OnText, WebSocketApplication, WebSocketClient, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({
  path: '/feed',
  compression: {
    threshold: 1024, // bytes: smaller messages go out uncompressed
    level: 6, // zlib, 1 (fast) to 9 (small)
    serverNoContextTakeover: true, // a broadcast is deflated once for every socket
  },
})
export class FeedService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnText()
  async onText(caller: Caller, text: string) {
    await this.registry.broadcast().writeTextMessage(text);
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [FeedService] }));
  return WebSocketApplication.start(container);
}

/** A client offering permessage-deflate (every default): its replies arrive compressed, read as usual. */
export function connect(url: string): Promise<WebSocketClient> {
  return WebSocketClient.connect(`${url}/feed`, { compression: true });
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
