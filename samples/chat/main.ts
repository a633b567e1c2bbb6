// The chat demo (`npm start`): a page at http://localhost:8080/ and the chat rooms on
// ws://localhost:8080/chat/<room>?name=<you>, one port for both. Broadcasts stay in this
// process unless REDIS_URL is set, then every process on that Redis shares the rooms.
//   PORT       the port (default 8080)
//   REDIS_URL  e.g. redis://127.0.0.1:6379 to scale out over several processes
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { Container } from 'inversify';
import { type Backplane, WebSocketApplication, webSocketModule } from '@duet/websocket';
import { ChatService } from './chat-service';

const page = readFileSync(path.join(__dirname, 'public', 'index.html'));
// The page loads @duet/client as one ES module (`npm run build` writes it).
const clientBundle = path.join(__dirname, '..', '..', 'packages', 'client', 'dist', 'browser', 'duet-client.js');

async function backplaneFromEnvironment(): Promise<Backplane | undefined> {
  const url = process.env.REDIS_URL;
  if (url === undefined || url === '') return undefined;
  // Loaded only when asked for, so the demo runs without Redis.
  const { RedisBackplane } = (await import('@duet/redis')) as typeof import('@duet/redis');
  return new RedisBackplane({ url });
}

async function main(): Promise<void> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/' || request.url?.startsWith('/?'))) {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
    } else if (request.method === 'GET' && request.url === '/duet-client.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(readFileSync(clientBundle));
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
    }
  });
  const container = new Container();
  const backplane = await backplaneFromEnvironment();
  container.load(webSocketModule({ listeners: { default: { server } }, services: [ChatService], backplane }));
  const app = await WebSocketApplication.start(container);
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 8080), resolve));
  const { port } = server.address() as { port: number };
  console.log(`[duet] started HTTP+WS listener 0.0.0.0:${port}`);
  console.log(`Chat demo: open http://localhost:${port}/ in two browser tabs${backplane ? ' (rooms shared over Redis)' : ''}.`);
  console.log(`Or from a console: new WebSocket("ws://localhost:${port}/chat/lobby?name=ann"), then send {"type":"say","id":1,"text":"hi"}`);
  app.enableShutdownHooks();
  process.once('beforeExit', () => server.close());
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
