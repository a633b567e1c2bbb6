// Duet broadcast through the connection registry: the message is encoded once and the same
// bytes are handed to every open connection (on ws), or published once to the service's topic
// of the server (on Bun's native engine, Bun's pub/sub).
import 'reflect-metadata';
import { Container, inject } from 'inversify';
import { duetCompression } from './deflate';
import { Caller, ConnectionRegistry, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws', compression: duetCompression })
export class BroadcastService {
  constructor(@inject(ConnectionRegistry) private readonly registry: ConnectionRegistry) {}

  @OnText()
  async onText(_caller: Caller, text: string): Promise<void> {
    await this.registry.broadcast().writeTextMessage(text);
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', services: [BroadcastService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`listening on ws://127.0.0.1:${app.port()}/ws`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
