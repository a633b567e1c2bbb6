import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import WebSocket from 'ws';
import { Caller, OnOpen, OnText, TlsConfigError, WebSocketService } from '@duet/websocket';
import { cleanup, startServices, withTimeout } from './helpers';
import { type TlsFixtures, makeTlsFixtures } from './tls-fixtures';

let tls: TlsFixtures;

beforeAll(() => {
  tls = makeTlsFixtures();
});
afterAll(() => tls.remove());
afterEach(cleanup);

@WebSocketService({ path: '/ws' })
class SecureEchoService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    const subject = (caller.request.clientCertificate?.subject as { CN?: string } | undefined)?.CN ?? 'none';
    return caller.writeTextMessage(`secure=${caller.isSecure()} client=${subject}`);
  }

  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

function connect(url: string, options: WebSocket.ClientOptions): Promise<{ socket: WebSocket; first: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('message', (data) => resolve({ socket, first: data.toString() }));
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`closed with ${code}`)));
  });
}

async function exchange(url: string, options: WebSocket.ClientOptions): Promise<string[]> {
  const { socket, first } = await connect(url, options);
  const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
  socket.send('Hello!');
  const answer = await reply;
  socket.close();
  return [first, answer];
}

describe('wss', () => {
  it('serves wss with a PEM certificate and key', async () => {
    const { url } = await startServices([SecureEchoService], undefined, {
      port: 0,
      host: '127.0.0.1',
      secureSocket: { key: { certFile: tls.serverCert, keyFile: tls.serverKey } },
    });
    expect(await exchange(url('/ws'), { ca: readFileSync(tls.caCert) })).toEqual([
      'secure=true client=none',
      'Echo: Hello!',
    ]);
  });

  it('serves wss with a PKCS#12 key store', async () => {
    const { url } = await startServices([SecureEchoService], undefined, {
      port: 0,
      host: '127.0.0.1',
      secureSocket: { key: { keyStore: { path: tls.serverP12, password: tls.p12Password } } },
    });
    expect(await exchange(url('/ws'), { ca: readFileSync(tls.caCert) })).toEqual([
      'secure=true client=none',
      'Echo: Hello!',
    ]);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    const { url } = await startServices([SecureEchoService], undefined, {
      port: 0,
      host: '127.0.0.1',
      secureSocket: { key: { certFile: tls.untrustedCert, keyFile: tls.untrustedKey } },
    });
    await expect(connect(url('/ws'), { ca: readFileSync(tls.caCert) })).rejects.toThrow(/self[- ]signed/i);
  });

  it('drops a client that never starts its TLS handshake at handshakeTimeout, and one that trickles it', async () => {
    const { app } = await startServices([SecureEchoService], undefined, {
      port: 0,
      host: '127.0.0.1',
      handshakeTimeout: 0.5,
      secureSocket: { key: { certFile: tls.serverCert, keyFile: tls.serverKey } },
    });
    const sockets: ReturnType<typeof connectTcp>[] = [];
    // Milliseconds until the server closes a raw TCP connection that sends `bytes` one by one.
    const closedAfter = (bytes: Buffer) =>
      withTimeout(
        new Promise<number>((resolve) => {
          const started = Date.now();
          const socket = connectTcp(app.port(), '127.0.0.1');
          sockets.push(socket);
          let sent = 0;
          const trickle = setInterval(() => {
            if (sent < bytes.length && !socket.destroyed) socket.write(bytes.subarray(sent, ++sent));
          }, 100);
          socket.on('error', () => {});
          socket.on('close', () => {
            clearInterval(trickle);
            resolve(Date.now() - started);
          });
          socket.resume();
        }),
        5000,
        'the server to drop a client that does not finish its TLS handshake',
      );
    // Nothing at all; then the first bytes of a ClientHello record, a byte every 100 ms.
    try {
      const [silent, trickling] = await Promise.all([closedAfter(Buffer.alloc(0)), closedAfter(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))]);
      for (const afterMs of [silent, trickling]) {
        expect(afterMs).toBeGreaterThanOrEqual(400);
        expect(afterMs).toBeLessThan(3000);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  describe('mutual TLS', () => {
    const mutual = (verifyClient: 'require' | 'optional') => ({
      port: 0,
      host: '127.0.0.1',
      secureSocket: {
        key: { certFile: tls.serverCert, keyFile: tls.serverKey },
        mutualSsl: { verifyClient, cert: tls.caCert },
      },
    });

    it('accepts a client certificate signed by the configured CA and shows it to the service', async () => {
      const { url } = await startServices([SecureEchoService], undefined, mutual('require'));
      const [first] = await exchange(url('/ws'), {
        ca: readFileSync(tls.caCert),
        cert: readFileSync(tls.clientCert),
        key: readFileSync(tls.clientKey),
      });
      expect(first).toBe('secure=true client=duet-client');
    });

    it("refuses a client without a certificate when verifyClient is 'require'", async () => {
      const { url } = await startServices([SecureEchoService], undefined, mutual('require'));
      await expect(connect(url('/ws'), { ca: readFileSync(tls.caCert) })).rejects.toThrow();
    });

    it('refuses a client certificate from another CA', async () => {
      const { url } = await startServices([SecureEchoService], undefined, mutual('require'));
      await expect(
        connect(url('/ws'), {
          ca: readFileSync(tls.caCert),
          cert: readFileSync(tls.untrustedCert),
          key: readFileSync(tls.untrustedKey),
        }),
      ).rejects.toThrow();
    });

    it("with verifyClient 'optional' accepts no certificate but answers 401 to an untrusted one", async () => {
      const { url } = await startServices([SecureEchoService], undefined, mutual('optional'));
      const [first] = await exchange(url('/ws'), { ca: readFileSync(tls.caCert) });
      expect(first).toBe('secure=true client=none');
      await expect(
        connect(url('/ws'), {
          ca: readFileSync(tls.caCert),
          cert: readFileSync(tls.untrustedCert),
          key: readFileSync(tls.untrustedKey),
        }),
      ).rejects.toThrow(/401/);
    });
  });

  describe('invalid key material fails at start, naming the file', () => {
    it.each([
      ['a missing certificate file', () => ({ key: { certFile: '/nonexistent/cert.pem', keyFile: tls.serverKey } }), '/nonexistent/cert.pem'],
      ['a key that is not PEM', () => ({ key: { certFile: tls.serverCert, keyFile: tls.caCert } }), undefined],
      ['a wrong key store password', () => ({ key: { keyStore: { path: tls.serverP12, password: 'wrong' } } }), 'server.p12'],
      ['a missing CA file for mutual TLS', () => ({ key: { certFile: tls.serverCert, keyFile: tls.serverKey }, mutualSsl: { verifyClient: 'require', cert: '/nonexistent/ca.pem' } }), '/nonexistent/ca.pem'],
    ])('%s', async (_what, secureSocket, file) => {
      const error = await startServices([SecureEchoService], undefined, {
        port: 0,
        host: '127.0.0.1',
        secureSocket: secureSocket() as never,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TlsConfigError);
      expect((error as TlsConfigError).code).toBe('DUET_ERR_TLS_CONFIG');
      if (file !== undefined) expect((error as TlsConfigError).message).toContain(file);
    });
  });
});
