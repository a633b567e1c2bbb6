// Control messages: pongs are automatic; a service that wants to see pings answers them itself.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, OnPing, OnPong, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/ws', pingInterval: 30, pongTimeout: 10 })
export class WsService {
  @OnPing()
  onPing(caller: Caller, data: Buffer) {
    console.log(`Ping received with data: ${data.toString('base64')}`);
    return data; // sent back as the pong
  }

  @OnPong()
  onPong(caller: Caller, data: Buffer) {
    console.log(`Pong received with data: ${data.toString('base64')}`);
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
