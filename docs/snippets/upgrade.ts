// The upgrade: a service on `/chat/:room` that checks the request before the handshake.
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller, OnOpen, OnUpgrade, UpgradeError, UpgradeRequest, WebSocketApplication, WebSocketService,
  webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/chat/:room' })
export class ChatService {
  @OnUpgrade()
  onUpgrade(request: UpgradeRequest) {
    const name = request.query.get('name');
    if (!name) throw new UpgradeError(400, 'add ?name=… to the URL');
    return { headers: { 'X-Chat-Room': request.params.room } }; // extra headers on the 101
  }

  @OnOpen()
  async onOpen(caller: Caller) {
    const name = caller.request.query.get('name');
    await caller.writeTextMessage(`Welcome ${name} to #${caller.params.room}`);
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [ChatService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
