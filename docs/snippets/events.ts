// Primary events: open (with the negotiated sub-protocol) and the idle timeout.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, OnIdleTimeout, OnOpen, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws', subProtocols: ['json', 'mqtt'], idleTimeout: 120 })
export class WsService {
  @OnOpen()
  async onOpen(caller: Caller) {
    console.log('Negotiated sub-protocol:', caller.getNegotiatedSubProtocol());
    await caller.writeTextMessage(`speaking ${caller.getNegotiatedSubProtocol() ?? 'nothing special'}`);
  }

  // Without this handler an idle connection is closed with 1001 'idle timeout'.
  @OnIdleTimeout()
  async onIdleTimeout(caller: Caller) {
    await caller.ping('still there?');
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
