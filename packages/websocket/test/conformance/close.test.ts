// RFC 6455 §5.5.1, §7 and §7.4: the closing handshake. The server answers a close frame with a
// close frame (ws echoes the code and reason), then ends the TCP connection; a status code
// that may not be sent on the wire fails the connection with 1002.
import { Opcode, RawClient, closeAllRawSockets, closePayload, encodeFrame, serverFrame } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

// §7.4.1 defined codes that may be sent, the IANA-registered 1012–1014, and the 3000–4999 ranges.
const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
// Below 1000 unused; 1004 reserved; 1005, 1006 and 1015 never on the wire; 1016–2999 reserved for
// the protocol; 5000 and above undefined.
const invalidCodes = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535];

describe.each(TARGETS)('closing handshake — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = () => RawClient.connect(target.port, Path.Echo);

  it('answers a close with 1000 and a reason by a close frame echoing both, then ends the TCP connection', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: closePayload(1000, 'bye') });
    const close = await client.nextClose();
    expect(close.frame.raw).toEqual(serverFrame(Opcode.Close, closePayload(1000, 'bye')));
    await client.ended();
  });

  it('answers a close without a payload by an empty close frame, then ends the TCP connection', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Close });
    expect((await client.nextClose()).frame.raw).toEqual(Buffer.from([0x88, 0x00]));
    await client.ended();
  });

  it('echoes the longest close reason a control frame can hold (123 bytes)', async () => {
    const client = await connect();
    const reason = 'r'.repeat(123);
    client.send({ opcode: Opcode.Close, payload: closePayload(1000, reason) });
    await expect(client.serverClose()).resolves.toEqual({ code: 1000, reason });
  });

  it.each(validCodes)('accepts close code %i and echoes it', async (code) => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: closePayload(code) });
    await expect(client.serverClose()).resolves.toEqual({ code, reason: '' });
  });

  it.each(invalidCodes)('closes with 1002 when the client sends close code %i', async (code) => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: closePayload(code, 'bad code') });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1002));
  });

  it('ignores data frames that follow the close frame', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Close, payload: closePayload(1000) }),
        encodeFrame({ opcode: Opcode.Text, payload: 'after close' }),
        encodeFrame({ opcode: Opcode.Ping, payload: 'after close' }),
      ]),
    );
    await expect(client.serverClose()).resolves.toEqual({ code: 1000, reason: '' });
    expect(client.received.map((frame) => frame.opcode)).toEqual([Opcode.Close]);
  });

  it('ignores even a malformed frame that follows the close frame', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Close, payload: closePayload(1001) }),
        encodeFrame({ opcode: 0x3, payload: 'reserved', mask: false, rsv2: true }),
      ]),
    );
    await expect(client.serverClose()).resolves.toEqual({ code: 1001, reason: '' });
    expect(client.received).toHaveLength(1);
  });

  it('echoes the messages sent before the close, then the close', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: 'last words' }),
        encodeFrame({ opcode: Opcode.Close, payload: closePayload(1000) }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'last words'));
    await expect(client.serverClose()).resolves.toEqual({ code: 1000, reason: '' });
  });
});
