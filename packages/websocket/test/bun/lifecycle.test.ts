// A connection's life on the engine 'auto' picks (Bun's native server under `bun test`, ws under
// jest): open, text and binary messages in order, close codes both ways, @OnClose exactly once,
// and a graceful app.stop().
import { Caller, OnBinary, OnClose, OnError, OnOpen, OnText, WebSocketService } from '@duet/websocket';
import { TestClient, eventually, rawUpgrade } from '../helpers';
import { NATIVE_ENGINE, startApp, stopAll } from './engine-helpers';

afterEach(stopAll);

const closes: { code: number; reason: string }[] = [];

@WebSocketService({ path: '/echo' })
class EchoService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage('welcome');
  }

  @OnText()
  async onText(caller: Caller, text: string): Promise<string | undefined> {
    if (text.startsWith('close:')) {
      const [, code, reason] = text.split(':');
      await caller.close(Number(code), reason);
      return undefined;
    }
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return Buffer.concat([Buffer.from([0xff]), data]);
  }

  @OnClose()
  onClose(_caller: Caller, code: number, reason: string): void {
    closes.push({ code, reason });
  }
}

const events: string[] = [];

@WebSocketService({ path: '/text-only' })
class TextOnlyService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnError()
  onError(_caller: Caller, error: Error): void {
    events.push(`error:${error.name}`);
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    events.push(`close:${code}`);
  }
}

describe(`a connection on ${NATIVE_ENGINE}`, () => {
  beforeEach(() => {
    closes.length = 0;
    events.length = 0;
  });

  it('runs @OnOpen, whose message reaches the client first', async () => {
    const { app, url } = await startApp([EchoService]);
    expect(app.engine).toBe(NATIVE_ENGINE);
    const client = await TestClient.connect(url('/echo'));
    expect(await client.nextText()).toBe('welcome');
  });

  it('answers text with text and binary with binary, byte for byte', async () => {
    const { url } = await startApp([EchoService]);
    const client = await TestClient.connect(url('/echo'));
    await client.nextText();
    client.send('héllo ✓');
    expect(await client.next()).toEqual({ data: 'héllo ✓', isBinary: false });
    client.send(Buffer.from([0, 1, 2, 250]));
    const binary = await client.next();
    expect(binary.isBinary).toBe(true);
    expect([...(binary.data as Buffer)]).toEqual([0xff, 0, 1, 2, 250]);
  });

  it('answers 500 pipelined messages in the order they were sent', async () => {
    const { url } = await startApp([EchoService]);
    const client = await TestClient.connect(url('/echo'));
    await client.nextText();
    const sent = Array.from({ length: 500 }, (_, i) => `m${i}`);
    for (const text of sent) client.send(text);
    await client.until(() => client.messages.length === sent.length, 5000, '500 answers');
    expect(client.messages.map((message) => message.data)).toEqual(sent);
  });

  it("gives @OnClose the client's close code and reason, once", async () => {
    const { app, url } = await startApp([EchoService]);
    const client = await TestClient.connect(url('/echo'));
    await client.nextText();
    client.socket.close(4000, 'client leaves');
    await client.waitClosed();
    await eventually(() => closes.length > 0, 2000, '@OnClose');
    await eventually(() => app.connectionCount() === 0, 2000, 'the connection to be gone');
    expect(closes).toEqual([{ code: 4000, reason: 'client leaves' }]);
  });

  it('closes with the code and reason given to caller.close, and runs @OnClose once', async () => {
    const { url } = await startApp([EchoService]);
    const client = await TestClient.connect(url('/echo'));
    await client.nextText();
    client.send('close:4001:bye');
    expect(await client.waitClosed()).toEqual({ code: 4001, reason: 'bye' });
    await eventually(() => closes.length > 0, 2000, '@OnClose');
    expect(closes).toEqual([{ code: 4001, reason: 'bye' }]);
  });

  it('runs @OnClose once when both sides close at the same moment', async () => {
    const { url } = await startApp([EchoService]);
    const client = await TestClient.connect(url('/echo'));
    await client.nextText();
    client.send('close:4002:server');
    client.socket.close(4003, 'client');
    await client.waitClosed();
    await eventually(() => closes.length > 0, 2000, '@OnClose');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closes).toHaveLength(1);
  });

  it('closes with 1003 when a binary message reaches a service without @OnBinary, telling @OnError before @OnClose', async () => {
    const { url } = await startApp([TextOnlyService]);
    const client = await TestClient.connect(url('/text-only'));
    client.send(Buffer.from([1, 2, 3]));
    expect((await client.waitClosed()).code).toBe(1003);
    await eventually(() => events.length === 2, 2000, '@OnError and @OnClose');
    expect(events).toEqual(['error:UnsupportedMessageError', 'close:1003']);
  });

  it('app.stop() closes every client with 1001, has run @OnClose for each when it resolves, and closes the port', async () => {
    const { app, url } = await startApp([EchoService]);
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(url('/echo'))));
    await Promise.all(clients.map((client) => client.nextText()));
    await app.stop();
    expect(closes.map((close) => close.code)).toEqual([1001, 1001, 1001]);
    expect(app.connectionCount()).toBe(0);
    for (const client of clients) expect((await client.waitClosed()).code).toBe(1001);
    // The port is closed, not merely answering 503.
    await expect(rawUpgrade(url('/echo'))).rejects.toThrow(/ECONNREFUSED/);
  });
});
