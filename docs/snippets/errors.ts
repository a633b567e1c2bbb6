// Connection errors: @OnError hears what went wrong just before Duet closes the connection.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, OnError, OnText, ProtocolError, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws', maxFrameSize: 1024 })
export class WsService {
  @OnText()
  onText(caller: Caller, text: string) {
    if (text === 'fail') throw new Error('cannot process "fail"'); // closes with 1011
    return `Echo: ${text}`;
  }

  @OnError()
  onError(caller: Caller, error: Error) {
    const closeCode = error instanceof ProtocolError ? error.closeCode : 1011;
    console.log(`${caller.getConnectionId()}: ${error.message} (closing with ${closeCode})`);
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [WsService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
