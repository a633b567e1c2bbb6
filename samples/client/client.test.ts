// The guide's client sample run as its own process against a data-message style service
// started here, in the test, on an ephemeral port.
import { Caller, OnText, WebSocketService } from '@duet/websocket';
import { cleanup, startServices } from '../../packages/websocket/test/helpers';
import { SampleProcess, ensureBuilt } from '../sample-process';

@WebSocketService({ path: '/ws' })
class DataMessageService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

describe('sample: client', () => {
  let sample: SampleProcess | undefined;

  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    await sample?.stop();
    await cleanup();
  });

  it("prints 'Response: Echo: Hello!' for the URL given as argument, then exits 0", async () => {
    const { url } = await startServices([DataMessageService]);
    sample = new SampleProcess('client', {}, [url('/ws')]);
    await sample.waitFor(/Response: Echo: Hello!/);
    expect(await sample.waitExit()).toBe(0);
  }, 30000);

  it('connects to ws://localhost:$PORT/ws without an argument', async () => {
    const { app } = await startServices([DataMessageService]);
    sample = new SampleProcess('client', { PORT: String(app.port()) });
    await sample.waitFor(/Response: Echo: Hello!/);
    expect(await sample.waitExit()).toBe(0);
  }, 30000);

  it('exits 1 and says why when nothing listens', async () => {
    const { app } = await startServices([DataMessageService]);
    const port = app.port();
    await cleanup();
    sample = new SampleProcess('client', {}, [`ws://127.0.0.1:${port}/ws`]);
    await sample.waitFor(/ConnectError|ECONNREFUSED/);
    expect(await sample.waitExit()).toBe(1);
  }, 30000);
});
