// The guide's "connection error" event: when something goes wrong on a connection (here, a
// message larger than the service accepts, or a handler that fails), @OnError hears of it
// before the connection is closed.
//   PORT  WebSocket port (default 8080)
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller,
  OnClose,
  OnError,
  OnText,
  ProtocolError,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws', maxFrameSize: 1024 })
export class WsService {
  @OnText()
  onTextMessage(_caller: Caller, text: string): string {
    if (text === 'fail') throw new Error('the handler could not process "fail"');
    return `Echo: ${text}`;
  }

  @OnError()
  onError(_caller: Caller, error: Error): void {
    const code = error instanceof ProtocolError ? ` (close code ${error.closeCode})` : '';
    console.log(`Error occurred: ${error.message}${code}`);
  }

  @OnClose()
  onClose(_caller: Caller, statusCode: number): void {
    console.log(`Connection closed with ${statusCode}`);
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
