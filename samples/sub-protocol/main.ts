// The guide's "sub-protocol handling" example: the service supports `json` and `mqtt`; a
// client offering `xml, json` (in that priority) gets `json`, printed when the connection opens.
//   PORT  WebSocket port (default 8080)
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnOpen, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws', subProtocols: ['json', 'mqtt'], idleTimeout: 120 })
export class WsService {
  @OnOpen()
  onOpen(caller: Caller): void {
    console.log('Negotiated sub-protocol:', caller.getNegotiatedSubProtocol());
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 8080), services: [WsService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`);
  app.enableShutdownHooks();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
