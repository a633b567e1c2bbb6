// The echo sample run as its own process, as `npm run sample -- echo` runs it, checked with the
// raw conformance client: what a conformance run against the real sample would see.
import { Opcode, RawClient, closeAllRawSockets, encodeFrame, serverFrame } from '../../packages/websocket/test/conformance/raw-client';
import { SampleProcess, ensureBuilt } from '../sample-process';

const LISTENING = /echo service listening on ws:\/\/localhost:(\d+)\/ws/;

describe('sample: echo, as its own process', () => {
  let standard: SampleProcess | undefined;
  let small: SampleProcess | undefined;
  let standardPort: number;
  let smallPort: number;

  beforeAll(async () => {
    ensureBuilt();
    standard = new SampleProcess('echo', { PORT: '0' });
    small = new SampleProcess('echo', { PORT: '0', MAX_FRAME_SIZE: '1024' });
    const [standardMatch, smallMatch] = await Promise.all([standard.waitFor(LISTENING), small.waitFor(LISTENING)]);
    standardPort = Number(standardMatch[1]);
    smallPort = Number(smallMatch[1]);
  }, 30000);
  afterAll(async () => {
    await Promise.all([standard?.stop(), small?.stop()]);
  });
  afterEach(closeAllRawSockets);

  it('echoes a text message as the same text frame', async () => {
    const client = await RawClient.connect(standardPort, '/ws');
    client.send({ opcode: Opcode.Text, payload: 'héllo, echo ✓' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'héllo, echo ✓'));
  });

  it('echoes a binary message as the same binary frame', async () => {
    const client = await RawClient.connect(standardPort, '/ws');
    const payload = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    client.send({ opcode: Opcode.Binary, payload });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, payload));
  });

  it('echoes a fragmented message as one message', async () => {
    const client = await RawClient.connect(standardPort, '/ws');
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: 'in ', fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: '', fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: 'pieces', fin: true }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'in pieces'));
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const client = await RawClient.connect(standardPort, '/ws');
    client.send({ opcode: Opcode.Ping, payload: 'are you there' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Pong, 'are you there'));
  });

  it('answers a close with the same code, then ends the connection', async () => {
    const client = await RawClient.connect(standardPort, '/ws');
    client.send({ opcode: Opcode.Close, payload: Buffer.from([0x03, 0xe8]) });
    await expect(client.serverClose()).resolves.toEqual({ code: 1000, reason: '' });
  });

  it('with MAX_FRAME_SIZE=1024, echoes a 1024-byte message', async () => {
    const client = await RawClient.connect(smallPort, '/ws');
    const payload = Buffer.alloc(1024, 0x62);
    client.send({ opcode: Opcode.Binary, payload });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, payload));
  });

  it('with MAX_FRAME_SIZE=1024, closes with 1009 on a 2000-byte message', async () => {
    const client = await RawClient.connect(smallPort, '/ws');
    client.send({ opcode: Opcode.Text, payload: Buffer.alloc(2000, 0x61) });
    await expect(client.serverClose()).resolves.toEqual({ code: 1009, reason: '' });
  });
});
