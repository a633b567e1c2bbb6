// RFC 6455 §5.2: RSV1–3 must be 0 unless an extension gives them a meaning (the echo
// negotiates none), and an endpoint that receives a reserved opcode must fail the connection.
import { Opcode, RawClient, closeAllRawSockets } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

describe.each(TARGETS)('reserved bits and opcodes — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = () => RawClient.connect(target.port, Path.Echo);

  describe.each([
    ['RSV1', { rsv1: true }],
    ['RSV2', { rsv2: true }],
    ['RSV3', { rsv3: true }],
    ['RSV1, RSV2 and RSV3', { rsv1: true, rsv2: true, rsv3: true }],
  ])('%s set', (_bits, rsv) => {
    it('closes with 1002 on a text frame and echoes nothing', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Text, payload: 'reserved', ...rsv });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
      expect(client.received).toHaveLength(1);
    });

    it('closes with 1002 on a ping and sends no pong', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Ping, payload: 'reserved', ...rsv });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
      expect(client.received).toHaveLength(1);
    });

    it('closes with 1002 on a continuation frame of an open message', async () => {
      const client = await connect();
      client.send({ opcode: Opcode.Binary, payload: Buffer.from([1]), fin: false });
      client.send({ opcode: Opcode.Continuation, payload: Buffer.from([2]), ...rsv });
      await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
      expect(client.received).toHaveLength(1);
    });
  });

  it.each([3, 4, 5, 6, 7, 11, 12, 13, 14, 15])('closes with 1002 on reserved opcode %i', async (opcode) => {
    const client = await connect();
    client.send({ opcode, payload: 'reserved opcode' });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
    expect(client.received).toHaveLength(1);
  });

  it('closes with 1002 on a reserved opcode even after a good message was echoed', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: 'fine' });
    expect((await client.nextFrame()).opcode).toBe(Opcode.Text);
    client.send({ opcode: 0xb });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });
});
