// RFC 6455 §5.4 fragmentation: a message may arrive in any number of fragments (empty ones
// too), control frames may come between them and are answered at once, and a fragment
// sequence that is out of order fails the connection with 1002.
import { randomBytes } from 'node:crypto';
import { Opcode, RawClient, closeAllRawSockets, closePayload, encodeFrame, serverFrame } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

/** The frames of one message cut into `parts`: the first carries `opcode`, the rest continue it. */
function fragments(opcode: number, parts: (Buffer | string)[]): Buffer {
  return Buffer.concat(
    parts.map((payload, i) =>
      encodeFrame({ opcode: i === 0 ? opcode : Opcode.Continuation, payload, fin: i === parts.length - 1 }),
    ),
  );
}

describe.each(TARGETS)('fragmentation — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = () => RawClient.connect(target.port, Path.Echo);

  it('echoes a text message sent in several fragments, empty ones included, as one frame', async () => {
    const client = await connect();
    client.write(fragments(Opcode.Text, ['', 'Hel', '', 'lo, ', 'fragmented ', 'world', '']));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'Hello, fragmented world'));
  });

  it('echoes a binary message sent in many fragments as one frame', async () => {
    const client = await connect();
    const parts = Array.from({ length: 40 }, (_, i) => randomBytes(i % 5 === 0 ? 0 : 100 + i));
    client.write(fragments(Opcode.Binary, parts));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, Buffer.concat(parts)));
  });

  it('echoes a message whose fragments are all empty as an empty message', async () => {
    const client = await connect();
    client.write(fragments(Opcode.Text, ['', '', '']));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, ''));
  });

  it('answers a ping between fragments at once with a pong carrying the same payload', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: 'frag', fin: false });
    client.send({ opcode: Opcode.Ping, payload: 'first ping' });
    // The message is still open: the pong must not wait for it.
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Pong, 'first ping'));
    client.send({ opcode: Opcode.Continuation, payload: 'men', fin: false });
    const longPing = randomBytes(125);
    client.send({ opcode: Opcode.Ping, payload: longPing });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Pong, longPing));
    client.send({ opcode: Opcode.Continuation, payload: 'ted', fin: true });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'fragmented'));
  });

  it('ignores a pong between fragments and still echoes the message', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Binary, payload: Buffer.from([1, 2]), fin: false }),
        encodeFrame({ opcode: Opcode.Pong, payload: 'unsolicited' }),
        encodeFrame({ opcode: Opcode.Continuation, payload: Buffer.from([3]), fin: true }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, Buffer.from([1, 2, 3])));
  });

  it('closes with 1002 when a continuation frame arrives with no message started', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Continuation, payload: 'orphan', fin: true });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });

  it('closes with 1002 when a continuation frame follows a message that was already finished', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: 'complete' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'complete'));
    client.send({ opcode: Opcode.Continuation, payload: 'late', fin: true });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });

  it.each([
    ['text', Opcode.Text],
    ['binary', Opcode.Binary],
  ])('closes with 1002 when a new %s frame starts while a fragmented message is open', async (_kind, opcode) => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: 'open', fin: false });
    client.send({ opcode, payload: 'intruder', fin: true });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
    expect(client.received).toHaveLength(1); // the close only: nothing was echoed
  });

  it.each([
    ['ping', Opcode.Ping, Buffer.from('ping')],
    ['pong', Opcode.Pong, Buffer.from('pong')],
    ['close', Opcode.Close, closePayload(1000)],
  ])('closes with 1002 when a %s frame is fragmented', async (_kind, opcode, payload) => {
    const client = await connect();
    client.send({ opcode, payload: payload.subarray(0, 1), fin: false });
    client.send({ opcode: Opcode.Continuation, payload: payload.subarray(1), fin: true });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
    expect(client.received).toHaveLength(1);
  });
});
