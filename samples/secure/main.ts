// The guide's secure example: the echo service on wss://localhost:8443/ws with a PKCS#12 key
// store, and the guide's client (`npm run sample -- secure client`) that trusts the server
// through a PKCS#12 trust store, writes `Hello!` and prints `Response: Echo: Hello!`.
// Key material is made by ./make-keys.sh (openssl) on first run: throw-away, never for production.
//   PORT                 wss port (default 8443)
//   KEY_STORE_PASSWORD   password of the generated stores (default duet-sample)
//   URL                  for the client (default wss://localhost:8443/ws)
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Container } from 'inversify';
import {
  Caller,
  OnText,
  WebSocketApplication,
  WebSocketClient,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';

const keys = path.join(__dirname, 'keys');
const password = process.env.KEY_STORE_PASSWORD ?? 'duet-sample';

@WebSocketService({ path: '/ws' })
export class WsService {
  @OnText()
  onTextMessage(caller: Caller, text: string): Promise<void> {
    return caller.writeTextMessage(`Echo: ${text}`);
  }
}

function ensureKeys(): void {
  if (!existsSync(path.join(keys, 'keystore.p12'))) {
    execFileSync('bash', [path.join(__dirname, 'make-keys.sh')], { stdio: 'inherit' });
  }
}

async function serve(): Promise<void> {
  ensureKeys();
  const container = new Container();
  container.load(
    webSocketModule({
      listeners: {
        default: {
          port: Number(process.env.PORT ?? 8443),
          secureSocket: { key: { keyStore: { path: path.join(keys, 'keystore.p12'), password } } },
        },
      },
      services: [WsService],
    }),
  );
  const app = await WebSocketApplication.start(container);
  console.log(`[duet] started WSS listener 0.0.0.0:${app.port()}`);
  app.enableShutdownHooks();
}

async function runClient(): Promise<void> {
  const url = process.env.URL ?? 'wss://localhost:8443/ws';
  const client = await WebSocketClient.connect(url, {
    secureSocket: { trustStore: { path: path.join(keys, 'truststore.p12'), password } },
  });
  await client.writeTextMessage('Hello!');
  const response = await client.readTextMessage();
  console.log('Response:', response);
  await client.close();
}

if (require.main === module) {
  (process.argv[2] === 'client' ? runClient() : serve()).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
