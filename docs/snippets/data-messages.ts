// Data messages: what a handler returns is the reply — a string as text, bytes as binary.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, OnBinary, OnText, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws/echo', maxFrameSize: 1024 * 1024 })
export class EchoService {
  @OnText()
  onText(caller: Caller, text: string) {
    return `Echo: ${text}`;
  }

  @OnBinary()
  onBinary(caller: Caller, data: Buffer) {
    return data; // the same bytes, as a binary frame
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [EchoService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
