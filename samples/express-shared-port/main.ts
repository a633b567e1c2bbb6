// Duet and an Express app on one port: Express serves a static page and a REST route, Duet
// serves the WebSocket path; every other request and upgrade stays the app's.
//   PORT  the shared HTTP port (default 8080)
import 'reflect-metadata';
import { createServer } from 'node:http';
import path from 'node:path';
import express from 'express';
import { Container } from 'inversify';
import { Caller, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws' })
export class EchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

export function createApp(): express.Express {
  const app = express();
  app.use(express.static(path.join(__dirname, 'public')));
  app.get('/api/time', (_request, response) => {
    response.json({ now: new Date().toISOString() });
  });
  return app;
}

async function main(): Promise<void> {
  const server = createServer(createApp());
  const container = new Container();
  container.load(webSocketModule({ listeners: { default: { server } }, services: [EchoService] }));
  const duet = await WebSocketApplication.start(container);
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 8080), resolve));
  const { port } = server.address() as { port: number };
  console.log(`[duet] started HTTP+WS listener 0.0.0.0:${port}`);
  console.log(`Open http://localhost:${port}/ for the page, /api/time for REST, ws://localhost:${port}/ws for WebSocket.`);
  const stop = () => void duet.stop().then(() => server.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
