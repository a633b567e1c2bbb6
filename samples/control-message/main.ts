// The guide's "control message" example: the service overrides the automatic ping/pong,
// logs each ping and pong (data in base64) and answers pings itself.
//   PORT  WebSocket port (default 8080)
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnPing, OnPong, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws' })
export class WsService {
  @OnPing()
  onPing(caller: Caller, data: Buffer): Promise<void> {
    console.log(`Ping received with data: ${data.toString('base64')}`);
    return caller.pong(data);
  }

  @OnPong()
  onPong(_caller: Caller, data: Buffer): void {
    console.log(`Pong received with data: ${data.toString('base64')}`);
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
