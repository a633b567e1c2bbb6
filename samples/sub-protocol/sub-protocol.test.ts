import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

describe('sample: sub-protocol', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it("prints 'Negotiated sub-protocol: json' for a client offering xml, json", async () => {
    sample = new SampleProcess('sub-protocol', { PORT: '0' });
    const port = await sample.port();
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['xml', 'json']);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    expect(client.protocol).toBe('json');
    await sample.waitFor(/Negotiated sub-protocol: json/);
    client.close();
  }, 30000);
});
