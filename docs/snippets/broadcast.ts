// Broadcast: rooms from the path, messages to everyone else in the room, and POST /announce
// on the same port to every connection of the service.
import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Container, inject } from 'inversify';
import {
  Caller, ConnectionRegistry, OnOpen, OnText, WebSocketApplication, WebSocketService,
  webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/rooms/:room', maxBufferedBytes: 256 * 1024, slowConsumerPolicy: 'drop' })
export class RoomService {
  constructor(@inject(ConnectionRegistry) private readonly registry: ConnectionRegistry) {}

  @OnOpen()
  onOpen(caller: Caller) {
    caller.join(caller.params.room);
  }

  @OnText()
  async onText(caller: Caller, text: string) {
    await this.registry.to(caller.params.room).except(caller).writeTextMessage(text);
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  const announce = (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST' || request.url !== '/announce') return response.writeHead(404).end();
    let body = '';
    request.setEncoding('utf8').on('data', (chunk) => {
      body += chunk;
      if (body.length > 4096) request.destroy(); // announcements are short
    }).on('end', async () => {
      const { sent } = await container.get(ConnectionRegistry).broadcast(RoomService).writeTextMessage(body);
      response.end(`sent to ${sent}\n`);
    });
  };
  container.load(webSocketModule({ listeners: { default: { port, onRequest: announce } }, services: [RoomService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
