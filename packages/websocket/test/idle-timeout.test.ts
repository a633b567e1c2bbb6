import { Caller, OnIdleTimeout, OnText, WebSocketService } from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets } from './conformance/raw-client';
import { TestClient, cleanup, pause, startServices } from './helpers';

afterEach(async () => {
  closeAllRawSockets();
  await cleanup();
});

@WebSocketService({ path: '/closing', idleTimeout: 0.2 })
class ClosingOnIdleService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

const idleAt: number[] = [];

@WebSocketService({ path: '/handled', idleTimeout: 0.15 })
class HandledIdleService {
  @OnIdleTimeout()
  async onIdleTimeout(caller: Caller): Promise<void> {
    idleAt.push(Date.now());
    await caller.writeTextMessage(`idle #${idleAt.length}`);
  }
}

@WebSocketService({ path: '/never' })
class NoIdleTimeoutService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

describe('idle timeout', () => {
  beforeEach(() => {
    idleAt.length = 0;
  });

  it('closes with 1001 "idle timeout" after a fractional idleTimeout without @OnIdleTimeout', async () => {
    const { url } = await startServices([ClosingOnIdleService]);
    const client = await TestClient.connect(url('/closing'));
    const opened = Date.now();
    const { code, reason } = await client.waitClosed(2000);
    const elapsed = Date.now() - opened;
    expect(code).toBe(1001);
    expect(reason).toBe('idle timeout');
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1000);
  });

  it('counts continuation fragments as activity: a message sent in slow pieces is not cut off as idle (on Bun it is)', async () => {
    const { app } = await startServices([ClosingOnIdleService]);
    const client = await RawClient.connect(app.port(), '/closing');
    client.send({ opcode: Opcode.Text, payload: 'a', fin: false });
    for (let i = 0; i < 6; i++) {
      await pause(100); // half the idle timeout, six times over: 0.6 s in all
      client.send({ opcode: Opcode.Continuation, payload: 'b', fin: false });
    }
    client.send({ opcode: Opcode.Continuation, payload: 'c', fin: true });
    const echo = await client.nextFrame(1000);
    if (app.engine === 'bun') {
      // docs/engines.md: Bun reports whole messages only, so the pieces are no activity: 1001, idle.
      expect(echo.opcode).toBe(Opcode.Close);
      expect(echo.payload.readUInt16BE(0)).toBe(1001);
      return;
    }
    expect(echo.opcode).toBe(Opcode.Text);
    expect(echo.payload.toString()).toBe('abbbbbbc');
  });

  it('does not count keep-alives as activity: a client that says nothing is closed as idle though the service keeps it alive', async () => {
    @WebSocketService({ path: '/kept', keepAlive: 0.05, idleTimeout: 0.3 })
    class KeptAliveService {
      @OnText()
      onText(_caller: Caller, text: string): string {
        return text;
      }
    }
    const { url } = await startServices([KeptAliveService]);
    const client = await TestClient.connect(url('/kept'));
    const { code, reason } = await client.waitClosed(2000);
    expect([code, reason]).toEqual([1001, 'idle timeout']);
    expect(client.messages.length).toBeGreaterThan(0); // keep-alives did arrive meanwhile
  });

  it('counts received frames as activity: a chatty client is not closed', async () => {
    const { url } = await startServices([ClosingOnIdleService]);
    const client = await TestClient.connect(url('/closing'));
    for (let i = 0; i < 6; i++) {
      await pause(100);
      client.send(`keep ${i}`);
      expect(await client.nextText()).toBe(`keep ${i}`);
    }
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    expect((await client.waitClosed(2000)).code).toBe(1001);
  });

  it('counts a ping from the client as activity', async () => {
    const { url } = await startServices([ClosingOnIdleService]);
    const client = await TestClient.connect(url('/closing'));
    for (let i = 0; i < 4; i++) {
      await pause(100);
      client.socket.ping();
    }
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('runs @OnIdleTimeout instead of closing, again after each idle period', async () => {
    const { url } = await startServices([HandledIdleService]);
    const client = await TestClient.connect(url('/handled'));
    expect(await client.nextText(2000)).toBe('idle #1');
    expect(await client.nextText(2000)).toBe('idle #2');
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    // The handler's own write is activity: the next idle period starts after it.
    expect(idleAt[1] - idleAt[0]).toBeGreaterThanOrEqual(140);
  });

  it('never times out with idleTimeout 0 (the default)', async () => {
    const { url } = await startServices([NoIdleTimeoutService]);
    const client = await TestClient.connect(url('/never'));
    await pause(400);
    client.send('still here');
    expect(await client.nextText()).toBe('still here');
  });
});
