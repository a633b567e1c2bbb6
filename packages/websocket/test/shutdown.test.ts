import { Caller, OnClose, OnText, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, eventually, pause, startServices } from './helpers';

afterEach(cleanup);

const events: string[] = [];

@WebSocketService({ path: '/work' })
class WorkService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<string> {
    events.push(`start ${text}`);
    await pause(150);
    events.push(`end ${text}`);
    return `done ${text}`;
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    events.push(`close ${code}`);
  }
}

describe('graceful shutdown', () => {
  beforeEach(() => {
    events.length = 0;
  });

  it('lets a message being handled during stop() finish and reply, then closes with 1001', async () => {
    const { app, url } = await startServices([WorkService]);
    const client = await TestClient.connect(url('/work'));
    client.send('job-1');
    client.send('job-2'); // already received, waiting behind job-1
    await eventually(() => events.includes('start job-1'), 2000, 'the handler to start');
    const stopped = app.stop({ timeout: 5 });
    expect(await client.nextText()).toBe('done job-1');
    expect(await client.nextText()).toBe('done job-2');
    expect((await client.waitClosed()).code).toBe(1001);
    await stopped;
    expect(events).toEqual(['start job-1', 'end job-1', 'start job-2', 'end job-2', 'close 1001']);
  });

  it('refuses new connections once stopping has begun', async () => {
    const { app, url } = await startServices([WorkService]);
    const client = await TestClient.connect(url('/work'));
    client.send('long');
    await eventually(() => events.includes('start long'), 2000, 'the handler to start');
    const stopped = app.stop({ timeout: 5 });
    await expect(TestClient.connect(url('/work'))).rejects.toThrow();
    await stopped;
  });

  it('stops on a signal once enableShutdownHooks() is called', async () => {
    const { app, url } = await startServices([WorkService]);
    const client = await TestClient.connect(url('/work'));
    app.enableShutdownHooks(['SIGUSR2']);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect((await client.waitClosed()).code).toBe(1001);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});
