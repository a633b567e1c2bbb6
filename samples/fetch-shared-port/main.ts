// Duet and a fetch-style HTTP app on one port: a plain `(request: Request) => Response` function
// (what Hono's `app.fetch` is) answers every request that is not a WebSocket upgrade; Duet serves
// the upgrades. The same file runs on Node (ws, the request bridged to a `Request`) and under Bun
// (Bun's native server, the app in `Bun.serve`'s own fetch): `npm run sample -- fetch-shared-port`
// or `npm run sample:bun -- fetch-shared-port`.
//   PORT  the shared HTTP port (default 8080; 0 picks a free one)
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws' })
export class EchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Duet and a fetch app on one port</title>
<h1>Duet and a fetch app on one port</h1>
<p>This page, <code>/api/time</code> and <code>POST /api/echo</code> come from a plain fetch handler; <code>/ws</code> is Duet's.</p>
<script>
  const socket = new WebSocket(\`ws://\${location.host}/ws\`);
  socket.onopen = () => socket.send('Hello!');
  socket.onmessage = (event) => document.body.insertAdjacentHTML('beforeend', \`<p>\${event.data}</p>\`);
</script>
`;

/** The HTTP app: routes on the URL's path, as any fetch-style router would. */
export async function app(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (request.method === 'GET' && pathname === '/') {
    return new Response(PAGE, { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  }
  if (request.method === 'GET' && pathname === '/api/time') {
    return Response.json({ now: new Date().toISOString() });
  }
  if (request.method === 'POST' && pathname === '/api/echo') {
    return new Response(await request.text(), { headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  return new Response('Not Found\n', { status: 404 });
}

export async function main(): Promise<WebSocketApplication> {
  const container = new Container();
  const port = Number(process.env.PORT ?? 8080);
  container.load(webSocketModule({ listeners: { default: { port, fetch: app } }, services: [EchoService] }));
  const duet = await WebSocketApplication.start(container);
  console.log(`[duet] started HTTP+WS listener 0.0.0.0:${duet.port()} on the ${duet.engine} engine`);
  console.log(`Open http://localhost:${duet.port()}/ for the page, /api/time for REST, ws://localhost:${duet.port()}/ws for WebSocket.`);
  return duet;
}

if (require.main === module) {
  main().then(
    (duet) => {
      const stop = () => void duet.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
