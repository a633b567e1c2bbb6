import WebSocket from 'ws';
import { SampleProcess, ensureBuilt } from '../sample-process';

function connect(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    socket.once('open', () => resolve(socket)).once('error', reject);
  });
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

describe('sample: connection-error', () => {
  let sample: SampleProcess;

  beforeAll(() => ensureBuilt());
  afterEach(() => sample?.stop());

  it('reports an oversized message (1009) and a failing handler (1011) to @OnError before closing', async () => {
    sample = new SampleProcess('connection-error', { PORT: '0' });
    const port = await sample.port();
    const big = await connect(port);
    const bigClosed = closed(big);
    big.send('x'.repeat(2000));
    expect(await bigClosed).toBe(1009);
    await sample.waitFor(/Error occurred: Max payload size exceeded \(close code 1009\)/);
    const failing = await connect(port);
    const failingClosed = closed(failing);
    failing.send('fail');
    expect(await failingClosed).toBe(1011);
    await sample.waitFor(/Error occurred: the handler could not process "fail"/);
    await sample.waitFor(/Connection closed with 1011/);
  }, 30000);
});
