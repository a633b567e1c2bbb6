// wss:// with PEM files, and mutual TLS: only clients whose certificate ca.crt signed get in.
import 'reflect-metadata';
import path from 'node:path';
import { Container } from 'inversify';
import {
  Caller, OnOpen, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

@WebSocketService({ path: '/whoami' })
export class WhoAmIService {
  @OnOpen()
  async onOpen(caller: Caller) {
    const subject = caller.request.clientCertificate?.subject;
    await caller.writeTextMessage(`Hello ${subject?.CN}, secure: ${caller.isSecure()}`);
  }
}

export async function start(port = 8443, keys = 'keys'): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({
    listeners: {
      default: {
        port,
        secureSocket: {
          key: { certFile: path.join(keys, 'server.crt'), keyFile: path.join(keys, 'server.key') },
          // or a PKCS#12 key store: key: { keyStore: { path: 'keys/server.p12', password } }
          mutualSsl: { verifyClient: 'require', cert: path.join(keys, 'ca.crt') },
          protocol: { versions: ['TLSv1.2', 'TLSv1.3'] },
        },
      },
    },
    services: [WhoAmIService],
  }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WSS listener 0.0.0.0:${app.port()}`));
}
