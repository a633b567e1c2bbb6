// wss: trusting a CA given as PEM or as a PKCS#12 trust store, refusing a certificate no
// trusted CA signed, mutual TLS with a PEM pair or a PKCS#12 keystore, and `enable: false`.
import type { TLSSocket } from 'node:tls';
import { Caller, ClientConfigError, OnOpen, OnText, TlsError, WebSocketClient, WebSocketService } from '@duet/websocket';
import { cleanup, startServices } from '../helpers';
import { closeAll, rejectionOf, startPlainServer, track } from './support';
import { type TlsMaterial, makeTlsMaterial } from './tls-material';

let tls: TlsMaterial;

beforeAll(() => {
  tls = makeTlsMaterial();
});

afterAll(() => tls.remove());

afterEach(async () => {
  await closeAll();
  await cleanup();
});

@WebSocketService({ path: '/ws' })
class SecureService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    const subject = caller.request.clientCertificate?.subject as { CN?: string } | undefined;
    return caller.writeTextMessage(`secure=${caller.isSecure()} client=${subject?.CN ?? 'none'}`);
  }

  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

const duetTlsListener = (mutual: boolean) => ({
  port: 0,
  host: '127.0.0.1',
  secureSocket: {
    key: { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile },
    ...(mutual ? { mutualSsl: { verifyClient: 'require' as const, cert: tls.caFile } } : {}),
  },
});

function echo(socket: import('ws').WebSocket): void {
  socket.on('message', (data: Buffer, isBinary) => socket.send(data, { binary: isBinary }));
}

const trustedServer = (extra: object = {}) =>
  startPlainServer({ tls: { key: tls.serverKey, cert: tls.serverCert, ...extra }, onConnection: echo });

describe('WebSocketClient over wss', () => {
  it('connects to a server whose certificate the CA file given as cert signed', async () => {
    const server = await trustedServer();
    const client = track(await WebSocketClient.connect(server.url('/secure'), { secureSocket: { cert: tls.caFile } }));
    expect(client.isSecure()).toBe(true);
    await client.writeTextMessage('over tls');
    expect(await client.readTextMessage()).toBe('over tls');
  });

  it('connects trusting the CA of a PKCS#12 trust store', async () => {
    const server = await trustedServer();
    const client = track(
      await WebSocketClient.connect(server.url(), {
        secureSocket: { trustStore: { path: tls.trustStoreFile, password: tls.password } },
      }),
    );
    await client.writeTextMessage('p12');
    expect(await client.readTextMessage()).toBe('p12');
  });

  it('refuses a certificate no trusted CA signed with TlsError, and does not retry it', async () => {
    let handshakes = 0;
    const server = await startPlainServer({ tls: { key: tls.untrustedKey, cert: tls.untrustedCert }, onConnection: echo });
    server.http.on('tlsClientError', () => handshakes++);
    server.http.on('secureConnection', () => handshakes++);
    const error = await rejectionOf(
      WebSocketClient.connect(server.url(), { secureSocket: { cert: tls.caFile }, retryConfig: { maxCount: 3, interval: 0.01 } }),
    );
    expect(error).toBeInstanceOf(TlsError);
    expect(error).toMatchObject({ name: 'TlsError', code: 'DUET_ERR_TLS' });
    expect((error as TlsError).tlsCode).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'DUET_ERR_TLS' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(handshakes).toBe(1);
  });

  it('refuses a private CA’s certificate when only the public CAs are trusted', async () => {
    const server = await trustedServer();
    expect(await rejectionOf(WebSocketClient.connect(server.url()))).toBeInstanceOf(TlsError);
  });

  it('accepts any certificate with enable: false (unsafe, for local tests only)', async () => {
    const server = await startPlainServer({ tls: { key: tls.untrustedKey, cert: tls.untrustedCert }, onConnection: echo });
    const client = track(await WebSocketClient.connect(server.url(), { secureSocket: { enable: false } }));
    await client.writeTextMessage('unverified');
    expect(await client.readTextMessage()).toBe('unverified');
  });

  it.each([
    ['a PEM certificate and key', () => ({ certFile: tls.clientCertFile, keyFile: tls.clientKeyFile })],
    ['a PKCS#12 keystore', () => ({ keyStore: { path: tls.clientKeyStoreFile, password: tls.password } })],
  ])('presents its certificate for mutual TLS from %s', async (_what, key) => {
    const server = await trustedServer({ ca: tls.ca, requestCert: true, rejectUnauthorized: true });
    track(await WebSocketClient.connect(server.url(), { secureSocket: { cert: tls.caFile, key: key() } }));
    const { request } = await server.nextConnection();
    expect((request.socket as TLSSocket).getPeerCertificate().subject.CN).toBe('duet-test-client');
  });

  it('fails when a mutual-TLS server gets no client certificate', async () => {
    const server = await trustedServer({ ca: tls.ca, requestCert: true, rejectUnauthorized: true });
    const error = await rejectionOf(WebSocketClient.connect(server.url(), { secureSocket: { cert: tls.caFile } }));
    expect(error).toBeInstanceOf(TlsError);
  });

  it('talks to a Duet service on a TLS listener whose CA it trusts', async () => {
    const { url } = await startServices([SecureService], undefined, duetTlsListener(false));
    const client = track(await WebSocketClient.connect(url('/ws').replace('ws:', 'wss:'), { secureSocket: { cert: tls.caFile } }));
    expect(await client.readTextMessage()).toBe('secure=true client=none');
    await client.writeTextMessage('Hello!');
    expect(await client.readTextMessage()).toBe('Echo: Hello!');
  });

  it('presents its PKCS#12 keystore to a Duet service that requires mutual TLS', async () => {
    const { url } = await startServices([SecureService], undefined, duetTlsListener(true));
    const client = track(
      await WebSocketClient.connect(url('/ws').replace('ws:', 'wss:'), {
        secureSocket: { trustStore: { path: tls.trustStoreFile, password: tls.password }, key: { keyStore: { path: tls.clientKeyStoreFile, password: tls.password } } },
      }),
    );
    expect(await client.readTextMessage()).toBe('secure=true client=duet-test-client');
  });

  it('spells a PKCS#12 key as a listener does, and refuses the old { path, password } key naming the new shape', async () => {
    const error = await rejectionOf(
      WebSocketClient.connect('wss://127.0.0.1:1/', { secureSocket: { key: { path: tls.clientKeyStoreFile, password: tls.password } as never } }),
    );
    expect(error).toBeInstanceOf(ClientConfigError);
    expect(error).toMatchObject({ field: 'secureSocket.key' });
    expect(error.message).toMatch(/\{ keyStore: \{ path, password \} \}/);
  });

  it('rejects a trust store with the wrong password with ClientConfigError', async () => {
    const error = await rejectionOf(
      WebSocketClient.connect('wss://127.0.0.1:1/', { secureSocket: { trustStore: { path: tls.trustStoreFile, password: 'wrong' } } }),
    );
    expect(error).toBeInstanceOf(ClientConfigError);
    expect(error).toMatchObject({ field: 'secureSocket.trustStore' });
    expect(error.message).toMatch(/password is wrong/);
  });
});
