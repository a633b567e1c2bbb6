import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

describe('sample: control-message', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it('logs pings and pongs in base64 and answers a ping with a pong of the same data', async () => {
    sample = new SampleProcess('control-message', { PORT: '0' });
    const port = await sample.port();
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const pong = new Promise<Buffer>((resolve) => client.once('pong', resolve));
    client.ping(Buffer.from('heartbeat'));
    expect((await pong).toString()).toBe('heartbeat');
    await sample.waitFor(/Ping received with data: aGVhcnRiZWF0/);
    client.pong(Buffer.from('unsolicited'));
    await sample.waitFor(/Pong received with data: dW5zb2xpY2l0ZWQ=/);
    client.close();
  }, 30000);
});
