// Which engine runs: 'auto' picks Bun's native server under Bun and ws on Node, 'ws' is always
// ws, and an engine that cannot run here fails start with an error naming the field.
import { EngineConfigError, ListenError, ListenerConfigError, OnText, WebSocketService } from '@duet/websocket';
import { createServer } from 'node:http';
import { TestClient } from '../helpers';
import { NATIVE_ENGINE, RUNS_ON_BUN, startApp, startFailure, stopAll } from './engine-helpers';

afterEach(stopAll);

@WebSocketService({ path: '/echo' })
class EchoService {
  @OnText()
  onText(_caller: unknown, text: string): string {
    return text;
  }
}

describe('the engine', () => {
  it(`runs on ${NATIVE_ENGINE} by default ('auto') and serves connections there`, async () => {
    const { app, url } = await startApp([EchoService]);
    expect(app.engine).toBe(NATIVE_ENGINE);
    const client = await TestClient.connect(url('/echo'));
    client.send('hello');
    expect(await client.nextText()).toBe('hello');
  });

  it("runs ws when asked with engine: 'ws'", async () => {
    const { app, url } = await startApp([EchoService], { engine: 'ws' });
    expect(app.engine).toBe('ws');
    const client = await TestClient.connect(url('/echo'));
    client.send('on ws');
    expect(await client.nextText()).toBe('on ws');
  });

  it("stays on ws under 'auto' for a listener with a Node-style onRequest", async () => {
    const { app } = await startApp([EchoService], {
      listener: { port: 0, host: '127.0.0.1', onRequest: (_request, response) => response.end('ok') },
    });
    expect(app.engine).toBe('ws');
  });

  it('rejects start with ListenError when the port is taken', async () => {
    const { app } = await startApp([EchoService]);
    const error = await startFailure([EchoService], { listener: { port: app.port(), host: '127.0.0.1' } });
    expect(error).toBeInstanceOf(ListenError);
    expect((error as ListenError).port).toBe(app.port());
  });

  it('rejects start with EngineConfigError naming the field for an unknown engine', async () => {
    const error = await startFailure([EchoService], { engine: 'uws' });
    expect(error).toBeInstanceOf(EngineConfigError);
    expect((error as EngineConfigError).field).toBe('engine');
    expect((error as EngineConfigError).code).toBe('DUET_ERR_ENGINE_CONFIG');
  });

  if (!RUNS_ON_BUN) {
    it("rejects start with EngineConfigError naming the field 'engine' for 'bun' on Node", async () => {
      const error = await startFailure([EchoService], { engine: 'bun' });
      expect(error).toBeInstanceOf(EngineConfigError);
      expect((error as EngineConfigError).field).toBe('engine');
      expect((error as Error).message).toContain('Bun runtime');
    });
  } else {
    it("starts on Bun's native server with engine: 'bun'", async () => {
      const { app } = await startApp([EchoService], { engine: 'bun' });
      expect(app.engine).toBe('bun');
    });

    it("rejects start with ListenerConfigError naming 'server' for 'bun' on a shared node:http server", async () => {
      const error = await startFailure([EchoService], { engine: 'bun', listener: { server: createServer() } });
      expect(error).toBeInstanceOf(ListenerConfigError);
      expect((error as ListenerConfigError).field).toBe('server');
    });
  }
});
