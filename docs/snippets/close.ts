// Connection close: @OnClose runs once per connection, whoever closed it; caller.close ends one,
// and so does a returned CloseFrame.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, CloseFrame, OnClose, OnText, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws' })
export class WsService {
  @OnText()
  async onText(caller: Caller, text: string) {
    if (text === 'logout') return CloseFrame.NormalClosure; // closes after the replies before it
    if (text !== 'bye') return `Echo: ${text}`;
    await caller.close(4000, 'see you', 5); // codes 4000–4999 are the application's own
  }

  @OnClose()
  onClose(caller: Caller, statusCode: number, reason: string) {
    console.log(`Client closed connection with ${statusCode} because of ${reason}`);
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
