// The guide's "connection creation" example: every client that opens a connection on
// ws://localhost:8080/ws is remembered, and `POST /broadcaster/broadcast` on port 8081 sends
// the request body to all of them.
//   PORT              WebSocket port (default 8080)
//   BROADCASTER_PORT  HTTP broadcaster port (default 8081)
import 'reflect-metadata';
import { type Server, createServer } from 'node:http';
import { Container, injectable } from 'inversify';
import { Caller, OnClose, OnOpen, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

/** The connected callers, shared by every connection's service instance. */
@injectable()
export class Callers {
  readonly all = new Set<Caller>();
}

@WebSocketService({ path: '/ws' })
export class WsService {
  constructor(private readonly callers: Callers) {}

  @OnOpen()
  onOpen(caller: Caller): void {
    this.callers.all.add(caller);
  }

  @OnClose()
  onClose(caller: Caller): void {
    this.callers.all.delete(caller);
  }
}

/** The HTTP service of the guide: POST /broadcaster/broadcast → every caller, answers OK. */
export function startBroadcaster(callers: Callers, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/broadcaster/broadcast') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const payload = Buffer.concat(chunks).toString();
      Promise.all([...callers.all].map((caller) => caller.writeTextMessage(payload))).then(
        () => response.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK'),
        (error: Error) => response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`),
      );
    });
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
}

async function main(): Promise<void> {
  const container = new Container();
  container.bind(Callers).toSelf().inSingletonScope();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 8080), services: [WsService] }));
  const app = await WebSocketApplication.start(container);
  const broadcaster = await startBroadcaster(container.get(Callers), Number(process.env.BROADCASTER_PORT ?? 8081));
  const httpPort = (broadcaster.address() as { port: number }).port;
  console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`);
  console.log(`[duet] started HTTP listener 0.0.0.0:${httpPort}`);
  console.log(`
Try it:
  1. In one or more browser tabs, open the developer console and run:
       var ws = new WebSocket("ws://localhost:${app.port()}/ws");
       ws.onmessage = function(frame) { console.log(frame.data) };
  2. Broadcast to every tab:
       curl -d "Hello!" http://localhost:${httpPort}/broadcaster/broadcast
Press Ctrl+C to stop.`);
  const stop = () => {
    broadcaster.close();
    void app.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
