import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

describe('sample: connection-close', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it("prints the client's close code and reason", async () => {
    sample = new SampleProcess('connection-close', { PORT: '0' });
    const port = await sample.port();
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    client.close(1000, 'done for today');
    await sample.waitFor(/Client closed connection with 1000 because of done for today/);
  }, 30000);
});
