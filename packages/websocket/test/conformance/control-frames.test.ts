// RFC 6455 §5.5 control frames: a ping is answered by a pong with the same payload, an
// unsolicited pong needs no answer, and a control frame never carries more than 125 bytes.
import { randomBytes } from 'node:crypto';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame, serverFrame } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

describe.each(TARGETS)('control frames — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = () => RawClient.connect(target.port, Path.Echo);

  it('answers an empty ping with an empty pong', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Ping });
    expect((await client.nextFrame()).raw).toEqual(Buffer.from([0x8a, 0x00]));
  });

  it('answers a 125-byte ping with a pong carrying the same 125 bytes', async () => {
    const client = await connect();
    const payload = randomBytes(125);
    client.send({ opcode: Opcode.Ping, payload });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Pong, payload));
  });

  it('answers a ping written one byte at a time', async () => {
    const client = await connect();
    await client.writeSlowly(encodeFrame({ opcode: Opcode.Ping, payload: 'slow' }));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Pong, 'slow'));
  });

  it('answers pings and messages in the order they arrive', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: 'before' }),
        encodeFrame({ opcode: Opcode.Ping, payload: 'between' }),
        encodeFrame({ opcode: Opcode.Text, payload: 'after' }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'before'));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Pong, 'between'));
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'after'));
  });

  it('closes with 1002 when a ping carries 126 bytes', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Ping, payload: randomBytes(126) });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
    expect(client.received).toHaveLength(1); // no pong was sent
  });

  it('closes with 1002 when a pong carries 126 bytes', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Pong, payload: randomBytes(126) });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });

  it('ignores an unsolicited pong and keeps echoing', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Pong, payload: 'nobody asked' });
    client.send({ opcode: Opcode.Pong });
    client.send({ opcode: Opcode.Text, payload: 'still here' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'still here'));
  });

  it('closes with 1002 when a close frame carries a 1-byte payload', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: Buffer.from([0x03]) });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });

  it('closes with 1002 when a close frame carries 126 bytes', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.alloc(124, 0x61)]) });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });
});
