// wss on the engine 'auto' picks: PEM key material and mutual TLS 'require' run on Bun's native
// server under `bun test`; what Bun cannot serve as Duet promises (a PKCS#12 key store, optional
// mutual TLS) keeps 'auto' on ws, and 'bun' then fails start naming secureSocket.
import { readFileSync } from 'node:fs';
import { Caller, ListenerConfigError, OnOpen, OnText, WebSocketService } from '@duet/websocket';
import { TestClient } from '../helpers';
import { type TlsFixtures, makeTlsFixtures } from '../tls-fixtures';
import { NATIVE_ENGINE, RUNS_ON_BUN, startApp, startFailure, stopAll } from './engine-helpers';

let tls: TlsFixtures;

beforeAll(() => {
  tls = makeTlsFixtures();
});
afterAll(() => tls.remove());
afterEach(stopAll);

@WebSocketService({ path: '/ws' })
class SecureEchoService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage(`secure=${caller.isSecure()}`);
  }

  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

const pem = () => ({ certFile: tls.serverCert, keyFile: tls.serverKey });

describe(`wss on ${NATIVE_ENGINE}`, () => {
  it('serves wss with a PEM certificate and key, and the request says it is secure', async () => {
    const { app, url } = await startApp([SecureEchoService], { listener: { port: 0, host: '127.0.0.1', secureSocket: { key: pem() } } });
    expect(app.engine).toBe(NATIVE_ENGINE);
    const client = await TestClient.connect(url('/ws'), undefined, { ca: readFileSync(tls.caCert) });
    expect(await client.nextText()).toBe('secure=true');
    client.send('Hello!');
    expect(await client.nextText()).toBe('Echo: Hello!');
  });

  it("with mutual TLS 'require' accepts a client certificate of the CA and refuses a client without one", async () => {
    const listener = { port: 0, host: '127.0.0.1', secureSocket: { key: pem(), mutualSsl: { verifyClient: 'require' as const, cert: tls.caCert } } };
    const { app, url } = await startApp([SecureEchoService], { listener });
    expect(app.engine).toBe(NATIVE_ENGINE);
    const ca = readFileSync(tls.caCert);
    const client = await TestClient.connect(url('/ws'), undefined, { ca, cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) });
    expect(await client.nextText()).toBe('secure=true');
    await expect(TestClient.connect(url('/ws'), undefined, { ca })).rejects.toThrow();
    await expect(
      TestClient.connect(url('/ws'), undefined, { ca, cert: readFileSync(tls.untrustedCert), key: readFileSync(tls.untrustedKey) }),
    ).rejects.toThrow();
  });

  it("stays on ws under 'auto' for a PKCS#12 key store, and serves it", async () => {
    const listener = { port: 0, host: '127.0.0.1', secureSocket: { key: { keyStore: { path: tls.serverP12, password: tls.p12Password } } } };
    const { app, url } = await startApp([SecureEchoService], { listener });
    expect(app.engine).toBe('ws');
    const client = await TestClient.connect(url('/ws'), undefined, { ca: readFileSync(tls.caCert) });
    expect(await client.nextText()).toBe('secure=true');
  });

  if (RUNS_ON_BUN) {
    it("rejects engine 'bun' with ListenerConfigError naming secureSocket for optional mutual TLS", async () => {
      const listener = { port: 0, host: '127.0.0.1', secureSocket: { key: pem(), mutualSsl: { verifyClient: 'optional', cert: tls.caCert } } };
      const error = await startFailure([SecureEchoService], { engine: 'bun', listener });
      expect(error).toBeInstanceOf(ListenerConfigError);
      expect((error as ListenerConfigError).field).toBe('secureSocket');
      expect((error as Error).message).toContain("'optional'");
    });
  }
});
