// Duet with typed JSON dispatch: `dispatcherKey: 'type'` routes each message to the
// `@OnMessage` handler of its type, and a returned object goes back as JSON text.
// Needs `OnMessage` in @duet/websocket (issue 5); the runner leaves this server out until then.
import 'reflect-metadata';
import { Container } from 'inversify';
import { duetCompression } from './deflate';
import { Caller, OnMessage, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

interface EchoMessage {
  type: 'echo';
  data: unknown;
}

@WebSocketService({ path: '/ws', dispatcherKey: 'type', compression: duetCompression })
export class JsonService {
  @OnMessage('echo')
  onEcho(_caller: Caller, message: EchoMessage) {
    return { type: 'echo', data: message.data };
  }

  @OnMessage('ping')
  onPing() {
    return { type: 'pong' };
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', services: [JsonService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`listening on ws://127.0.0.1:${app.port()}/ws`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
