import { Caller, OnPing, OnPong, OnText, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, eventually, pause, startServices } from './helpers';

afterEach(cleanup);

@WebSocketService({ path: '/auto' })
class AutoPongService {}

const pingsSeen: string[] = [];
const pongsSeen: string[] = [];

@WebSocketService({ path: '/manual' })
class ManualPongService {
  @OnPing()
  onPing(caller: Caller, data: Buffer): Promise<void> | undefined {
    pingsSeen.push(data.toString());
    if (data.toString() === 'silent') return undefined; // the service chose not to answer
    return caller.pong(Buffer.from(`manual:${data.toString()}`));
  }

  @OnPong()
  onPong(_caller: Caller, data: Buffer): void {
    pongsSeen.push(data.toString());
  }

  @OnText()
  onText(caller: Caller, text: string): Promise<void> {
    return caller.ping(Buffer.from(text));
  }
}

@WebSocketService({ path: '/returning' })
class ReturningPongService {
  @OnPing()
  onPing(_caller: Caller, data: Buffer): Buffer {
    return Buffer.concat([Buffer.from('re:'), data]);
  }
}

describe('ping and pong', () => {
  beforeEach(() => {
    pingsSeen.length = 0;
    pongsSeen.length = 0;
  });

  it('answers a ping with a pong carrying the same data when the service has no @OnPing', async () => {
    const { url } = await startServices([AutoPongService]);
    const client = await TestClient.connect(url('/auto'));
    client.socket.ping(Buffer.from('are you there'));
    await client.until(() => client.pongs.length === 1, 2000, 'the pong');
    expect(client.pongs[0].toString()).toBe('are you there');
  });

  it('leaves the answer to @OnPing: no automatic pong, only what the handler sends (on Bun: its own pong)', async () => {
    const { app, url } = await startServices([ManualPongService]);
    const client = await TestClient.connect(url('/manual'));
    client.socket.ping(Buffer.from('silent'));
    client.socket.ping(Buffer.from('hello'));
    await client.until(() => client.pongs.length >= 1, 2000, 'the pong');
    await pause(50);
    expect(pingsSeen).toEqual(['silent', 'hello']);
    // docs/engines.md: Bun answers every ping itself, and drops the handler's pong sent while it ran.
    expect(client.pongs.map(String)).toEqual(app.engine === 'bun' ? ['silent', 'hello'] : ['manual:hello']);
  });

  it('sends the value an @OnPing handler returns as the pong (on Bun: its own pong, with the ping\'s data)', async () => {
    const { app, url } = await startServices([ReturningPongService]);
    const client = await TestClient.connect(url('/returning'));
    client.socket.ping(Buffer.from('x'));
    await client.until(() => client.pongs.length === 1, 2000, 'the pong');
    expect(client.pongs[0].toString()).toBe(app.engine === 'bun' ? 'x' : 're:x');
  });

  it("delivers the peer's pongs to @OnPong, and caller.ping reaches the peer", async () => {
    const { url } = await startServices([ManualPongService]);
    const client = await TestClient.connect(url('/manual'));
    client.send('probe');
    await client.until(() => client.pings.length === 1, 2000, "the server's ping");
    expect(client.pings[0].toString()).toBe('probe');
    // ws answers the server's ping automatically; the service sees that pong.
    await eventually(() => pongsSeen.length === 1, 2000, 'the pong at the server');
    expect(pongsSeen).toEqual(['probe']);
  });
});
