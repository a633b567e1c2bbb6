import { type Server, createServer, get } from 'node:http';
import { Container } from 'inversify';
import { WebSocketServer } from 'ws';
import { Caller, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';
import { TestClient, withTimeout } from './helpers';

function httpText(url: string): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      get(url, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(text));
      }).on('error', reject);
    }),
    3000,
    `GET ${url}`,
  );
}

@WebSocketService({ path: '/duet' })
class DuetService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `duet:${text}`;
  }
}

describe('a listener on an existing HTTP server', () => {
  let server: Server;
  let app: WebSocketApplication;
  let other: WebSocketServer;

  beforeEach(async () => {
    server = createServer((request, response) => response.end(`app:${request.url}`));
    // The app's own WebSocket endpoint, on a path Duet does not serve.
    other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (request, socket, head) => {
      if (request.url === '/app-ws') other.handleUpgrade(request, socket, head, (ws) => ws.send('from the app'));
    });
    const container = new Container();
    container.load(webSocketModule({ listeners: { default: { server } }, services: [DuetService] }));
    app = await WebSocketApplication.start(container);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    await app.stop({ timeout: 1 });
    other.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const port = () => (server.address() as { port: number }).port;

  it('leaves plain HTTP requests and other upgrade paths to the app while serving its own path', async () => {
    expect(await httpText(`http://127.0.0.1:${port()}/hello`)).toBe('app:/hello');
    const duet = await TestClient.connect(`ws://127.0.0.1:${port()}/duet`);
    duet.send('x');
    expect(await duet.nextText()).toBe('duet:x');
    const appClient = await TestClient.connect(`ws://127.0.0.1:${port()}/app-ws`);
    expect(await appClient.nextText()).toBe('from the app');
    expect(app.port()).toBe(port());
    duet.socket.close();
    appClient.socket.close();
  });

  it('stops without closing the app’s server', async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${port()}/duet`);
    await app.stop({ timeout: 1 });
    expect((await client.waitClosed()).code).toBe(1001);
    expect(server.listening).toBe(true);
    expect(await httpText(`http://127.0.0.1:${port()}/after`)).toBe('app:/after');
  });
});
