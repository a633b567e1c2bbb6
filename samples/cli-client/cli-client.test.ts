// The command-line client sample run as its own process against Duet services started here,
// in the test, on an ephemeral port: what it prints, what it sends from stdin, how it ends.
import { Caller, OnOpen, OnText, WebSocketService } from '@duet/websocket';
import { cleanup, startServices } from '../../packages/websocket/test/helpers';
import { SampleProcess, ensureBuilt } from '../sample-process';

@WebSocketService({ path: '/ws', subProtocols: ['json'] })
class DataMessageService {
  @OnOpen()
  async onOpen(caller: Caller): Promise<void> {
    await caller.writeBinaryMessage(Buffer.from([0xca, 0xfe]));
  }

  @OnText()
  async onText(caller: Caller, text: string): Promise<string | undefined> {
    if (text === 'bye') {
      await caller.close(4000, 'see you');
      return undefined;
    }
    return `Echo: ${text}`;
  }
}

describe('sample: cli-client', () => {
  let sample: SampleProcess | undefined;

  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    await sample?.stop();
    await cleanup();
  });

  it('prints what it reads, sends stdin lines, and closes with 1000 when stdin ends', async () => {
    const { url } = await startServices([DataMessageService]);
    sample = new SampleProcess('cli-client', {}, [url('/ws'), '-p', 'json']);
    await sample.waitFor(/connected to \S+ \(sub-protocol: json\)/);
    await sample.waitFor(/< \[binary 2 bytes\] cafe/);
    sample.stdin.write('hello\nworld\n');
    await sample.waitFor(/< Echo: world/);
    expect(sample.output.indexOf('< Echo: hello')).toBeLessThan(sample.output.indexOf('< Echo: world'));
    sample.stdin.end();
    await sample.waitFor(/closed: 1000/);
    expect(await sample.waitExit()).toBe(0);
  }, 30000);

  it('prints the close code and reason when the service closes, and exits 0', async () => {
    const { url } = await startServices([DataMessageService]);
    sample = new SampleProcess('cli-client', {}, [url('/ws')]);
    await sample.waitFor(/connected to/);
    sample.stdin.write('bye\n');
    await sample.waitFor(/closed: 4000 see you/);
    expect(await sample.waitExit()).toBe(0);
  }, 30000);

  it('prints its usage and exits 1 without a URL', async () => {
    sample = new SampleProcess('cli-client');
    await sample.waitFor(/usage: cli-client/);
    expect(await sample.waitExit()).toBe(1);
  }, 30000);
});
