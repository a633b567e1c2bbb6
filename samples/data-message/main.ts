// The guide's "data message" example: text comes back as `Echo: <text>`, binary comes back as
// it was sent. Served on /ws and on /ws/echo (the path the guide's browser snippet uses).
//   PORT  WebSocket port (default 8080)
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller,
  OnBinary,
  OnOpen,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws', subProtocols: ['xml', 'json'] })
export class WsService {
  @OnOpen()
  onOpen(caller: Caller): void {
    console.log('Negotiated sub-protocol:', caller.getNegotiatedSubProtocol());
  }

  @OnText()
  onTextMessage(caller: Caller, text: string): Promise<void> {
    return caller.writeTextMessage(`Echo: ${text}`);
  }

  @OnBinary()
  onBinaryMessage(caller: Caller, data: Buffer): Promise<void> {
    return caller.writeBinaryMessage(data);
  }
}

/** The same service on the guide's browser path: handlers are inherited from WsService. */
@WebSocketService({ path: '/ws/echo', subProtocols: ['xml', 'json'] })
export class WsEchoService extends WsService {}

async function main(): Promise<void> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 8080), services: [WsService, WsEchoService] }));
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
