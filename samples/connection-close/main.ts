// The guide's "connection close" example: when a client closes, the service logs its close
// code and reason.
//   PORT  WebSocket port (default 8080)
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnClose, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws' })
export class WsService {
  @OnText()
  onTextMessage(caller: Caller, text: string): Promise<void> {
    return caller.writeTextMessage(`Echo: ${text}`);
  }

  @OnClose()
  onClose(_caller: Caller, statusCode: number, reason: string): void {
    console.log(`Client closed connection with ${statusCode} because of ${reason}`);
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
