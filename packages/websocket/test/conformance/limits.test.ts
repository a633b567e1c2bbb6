// Size limits: RFC 6455 §10.4 lets an endpoint refuse what it cannot take, with 1009 (§7.4.1).
// The limit (maxFrameSize in Duet, maxPayload in ws) is on the whole message and is applied
// to the declared length, before any payload byte is read. Both also cap how many fragments
// one message may have: ws at 16384 (1008 past it), Duet at its smaller `maxFragments` (1009,
// a message too big in pieces as one over maxFrameSize is too big in bytes).
import { randomBytes } from 'node:crypto';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame, serverFrame } from './raw-client';
import { DEFAULT_LIMIT, type EchoTarget, Path, SMALL_LIMIT, TARGETS } from './targets';

describe.each(TARGETS)('limits — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = (path: string) => RawClient.connect(target.port, path);

  describe.each([
    ['the echo sample (65536 bytes)', Path.Echo, DEFAULT_LIMIT],
    ['a service limited to 1024 bytes', Path.Small, SMALL_LIMIT],
  ])('on %s', (_service, path, limit) => {
    it('echoes a message of exactly the limit', async () => {
      const client = await connect(path);
      const payload = randomBytes(limit);
      client.send({ opcode: Opcode.Binary, payload });
      expect((await client.nextFrame()).raw.equals(serverFrame(Opcode.Binary, payload))).toBe(true);
    });

    it('closes with 1009 when a message is one byte over the limit, echoing nothing', async () => {
      const client = await connect(path);
      client.send({ opcode: Opcode.Text, payload: Buffer.alloc(limit + 1, 0x61) });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1009));
      expect(client.received).toHaveLength(1);
    });

    it('closes with 1009 as soon as a header declares more than the limit, before any payload is sent', async () => {
      const client = await connect(path);
      if (target.engine === 'bun') {
        // Bun's limit is per server, the largest of its services' (2 MiB here, docs/engines.md):
        // a smaller service's is checked once Bun has the whole message. Same 1009, later.
        client.send({ opcode: Opcode.Binary, payload: randomBytes(limit + 1) });
      } else {
        client.send({ opcode: Opcode.Binary, declaredLength: limit + 1 }); // header and mask key only
      }
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1009));
    });

    it('closes with 1009 when fragments add up to more than the limit', async () => {
      const client = await connect(path);
      const half = Math.ceil((limit + 1) / 2);
      client.send({ opcode: Opcode.Binary, payload: randomBytes(half), fin: false });
      client.send({ opcode: Opcode.Continuation, payload: randomBytes(limit + 1 - half), fin: true });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1009));
      expect(client.received).toHaveLength(1);
    });

    it('does not count a previous message against the next one', async () => {
      const client = await connect(path);
      const first = randomBytes(limit);
      const second = randomBytes(limit);
      client.write(
        Buffer.concat([encodeFrame({ opcode: Opcode.Binary, payload: first }), encodeFrame({ opcode: Opcode.Binary, payload: second })]),
      );
      expect((await client.nextFrame()).payload.equals(first)).toBe(true);
      expect((await client.nextFrame()).payload.equals(second)).toBe(true);
    });
  });

  // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0. ws refuses any length
  // past 2^53 - 1 (what a JavaScript number holds exactly) with 1009, before looking at limits.
  it('closes with 1009 on a 64-bit length with the most significant bit set (2^63)', async () => {
    const client = await connect(Path.Echo);
    client.send({ opcode: Opcode.Binary, declaredLength: 2n ** 63n });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1009));
  });

  it('closes with 1009 on a 64-bit length of 2^53, past what ws can represent', async () => {
    const client = await connect(Path.Big);
    client.send({ opcode: Opcode.Text, declaredLength: 2n ** 53n });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1009));
  });

  it('echoes a message in as many fragments as the target allows', async () => {
    const client = await connect(Path.Echo);
    client.write(manyFragments(target.maxFragments));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'xy'));
  });

  it('closes with its code for too many fragments when a message arrives in one more', async () => {
    const client = await connect(Path.Echo);
    if (target.engine === 'bun') {
      // Bun assembles fragments itself and counts none (docs/engines.md); the size limit holds.
      client.write(manyFragments(target.maxFragments + 1));
      expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'xy'));
      return;
    }
    client.write(manyFragments(target.maxFragments + 1));
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(target.tooManyFragmentsCode));
    expect(client.received).toHaveLength(1);
  });
});

/** One text message "xy" in `count` fragments: "x", empty ones, then "y". */
function manyFragments(count: number): Buffer {
  const mask = randomBytes(4);
  const frames = [encodeFrame({ opcode: Opcode.Text, payload: 'x', fin: false, mask })];
  const empty = encodeFrame({ opcode: Opcode.Continuation, fin: false, mask });
  for (let i = 2; i < count; i++) frames.push(empty);
  frames.push(encodeFrame({ opcode: Opcode.Continuation, payload: 'y', fin: true, mask }));
  return Buffer.concat(frames);
}
