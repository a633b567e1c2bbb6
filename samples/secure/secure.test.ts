import { SampleProcess, ensureBuilt } from '../sample-process';

describe('sample: secure', () => {
  const processes: SampleProcess[] = [];

  beforeAll(() => ensureBuilt());
  afterAll(() => Promise.all(processes.map((sample) => sample.stop())));

  it("serves wss with a PKCS#12 key store, and the guide's client prints 'Response: Echo: Hello!'", async () => {
    const server = new SampleProcess('secure', { PORT: '0' });
    processes.push(server);
    const port = await server.port('WSS');
    const client = new SampleProcess('secure', { URL: `wss://localhost:${port}/ws` }, ['client']);
    processes.push(client);
    await client.waitFor(/Response: Echo: Hello!/);
    expect(await client.waitExit()).toBe(0);
  }, 60000);
});
