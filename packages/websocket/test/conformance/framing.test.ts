// RFC 6455 §5.2–5.3 base framing: payload lengths in their three encodings, frames split or
// joined by TCP however it likes, and masking (clients must mask, servers must not).
import { randomBytes } from 'node:crypto';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame, serverFrame } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

/** `length` bytes of printable ASCII, so a text payload is valid UTF-8 at any cut. */
function textOf(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = 0x21 + (i % 94);
  return bytes;
}

const kinds = [
  ['text', Opcode.Text, textOf],
  ['binary', Opcode.Binary, (length: number) => randomBytes(length)],
] as const;

// Each length sits on an edge of the length encoding: 7-bit, 16-bit, 64-bit.
const lengths = [0, 125, 126, 127, 65535, 65536];

describe.each(TARGETS)('framing — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = (path: string = Path.Echo) => RawClient.connect(target.port, path);

  describe.each(kinds)('%s', (_kind, opcode, payloadOf) => {
    it.each(lengths)('echoes a %i-byte message as one unmasked frame with the shortest length encoding', async (length) => {
      const client = await connect();
      const payload = payloadOf(length);
      client.send({ opcode, payload });
      const frame = await client.nextFrame();
      expect(frame.raw.subarray(0, 10)).toEqual(serverFrame(opcode, payload).subarray(0, 10));
      expect(frame.raw.equals(serverFrame(opcode, payload))).toBe(true);
    });

    it('echoes a 1 MiB message on a service whose limit is 2 MiB', async () => {
      const client = await connect(Path.Big);
      const payload = payloadOf(1024 * 1024);
      client.send({ opcode, payload });
      const frame = await client.nextFrame();
      expect(frame.raw.subarray(0, 10)).toEqual(serverFrame(opcode, payload).subarray(0, 10));
      expect(frame.raw.equals(serverFrame(opcode, payload))).toBe(true);
    });
  });

  it('reads a frame written one byte at a time', async () => {
    const client = await connect();
    await client.writeSlowly(encodeFrame({ opcode: Opcode.Text, payload: 'slow hello' }));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'slow hello'));
  });

  it('reads a 16-bit-length frame whose header and mask arrive one byte at a time', async () => {
    const client = await connect();
    const payload = randomBytes(300);
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload });
    await client.writeSlowly(bytes.subarray(0, 8)); // 2 header bytes, 2 length bytes, 4 mask bytes
    await client.writeSlowly(bytes.subarray(8), 7);
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, payload));
  });

  it('reads a 64-bit-length frame delivered in many small writes', async () => {
    const client = await connect(Path.Big);
    const payload = randomBytes(70000);
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload });
    await client.writeSlowly(bytes.subarray(0, 14));
    await client.writeSlowly(bytes.subarray(14), 4093);
    expect((await client.nextFrame()).raw.equals(serverFrame(Opcode.Binary, payload))).toBe(true);
  });

  it('answers each of several frames that arrive in one TCP write, in order', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: 'one' }),
        encodeFrame({ opcode: Opcode.Binary, payload: Buffer.from([2]) }),
        encodeFrame({ opcode: Opcode.Text, payload: 'three' }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'one'));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, Buffer.from([2])));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'three'));
  });

  describe('masking', () => {
    it('closes with 1002 when a client sends an unmasked data frame', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Text, payload: 'not masked', mask: false });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
    });

    it('closes with 1002 when a client sends an unmasked control frame', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Ping, payload: 'not masked', mask: false });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
    });

    it('accepts the all-zero masking key, which still marks the frame as masked', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Text, payload: 'zero key', mask: Buffer.alloc(4) });
      expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'zero key'));
    });

    it('never masks the frames it sends: messages, pongs and its close', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Text, payload: 'text' });
      client.send({ opcode: Opcode.Binary, payload: Buffer.from([1, 2, 3]) });
      client.send({ opcode: Opcode.Ping, payload: 'ping' });
      client.send({ opcode: Opcode.Close, payload: Buffer.from([0x03, 0xe8]) });
      const frames = [await client.nextFrame(), await client.nextFrame(), await client.nextFrame(), await client.nextFrame()];
      expect(frames.map((frame) => [frame.opcode, frame.masked])).toEqual([
        [Opcode.Text, false],
        [Opcode.Binary, false],
        [Opcode.Pong, false],
        [Opcode.Close, false],
      ]);
      await client.ended();
    });
  });
});
