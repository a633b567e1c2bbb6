// RFC 6455 §5.6 and §8.1: text messages and close reasons are UTF-8 (RFC 3629), judged on the
// whole message, not per fragment; anything else fails the connection with 1007.
import { Opcode, RawClient, closeAllRawSockets, closePayload, encodeFrame, serverFrame } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// Valid text of every encoded length: 1, 2, 3 and 4 bytes, and the edges of the code space.
const valid: [string, Buffer][] = [
  ['Greek with accents (2-byte sequences)', Buffer.from('κόσμε')],
  ['the euro sign (a 3-byte sequence)', hex('e2 82 ac')],
  ['a musical symbol outside the BMP (a 4-byte sequence)', Buffer.from('𝄞 clef')],
  ['U+0000, the lowest code point', hex('00')],
  ['U+D7FF and U+E000, either side of the surrogates', hex('ed 9f bf ee 80 80')],
  ['U+FFFD and U+FFFF', hex('ef bf bd ef bf bf')],
  ['U+10FFFF, the highest code point', hex('f4 8f bf bf')],
];

// Byte sequences RFC 3629 forbids.
const invalid: [string, Buffer][] = [
  ['a lone continuation byte', hex('61 80 62')],
  ['an overlong 2-byte "/" (C0 AF)', hex('c0 af')],
  ['an overlong 3-byte "/" (E0 80 AF)', hex('e0 80 af')],
  ['an overlong 4-byte "/" (F0 80 80 AF)', hex('f0 80 80 af')],
  ['a high surrogate (ED A0 80)', hex('ed a0 80')],
  ['a low surrogate (ED BF BF)', hex('ed bf bf')],
  ['a code point past U+10FFFF (F4 90 80 80)', hex('f4 90 80 80')],
  ['the byte F5, never used', hex('f5 80 80 80')],
  ['the bytes FE and FF', hex('fe ff')],
  ['a lead byte followed by ASCII (C3 28)', hex('c3 28')],
  ['a sequence cut short at the end of the message (E2 82)', hex('61 e2 82')],
];

describe.each(TARGETS)('UTF-8 — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = () => RawClient.connect(target.port, Path.Echo);

  it.each(valid)('echoes valid text byte for byte: %s', async (_what, bytes) => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: bytes });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, bytes));
  });

  it.each(invalid)('closes with 1007 when a text frame holds %s', async (_what, bytes) => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: bytes });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1007));
    expect(client.received).toHaveLength(1); // nothing echoed before the close
  });

  it('echoes binary frames without looking at UTF-8', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Binary, payload: hex('c0 af ed a0 80 ff') });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Binary, hex('c0 af ed a0 80 ff')));
  });

  it('echoes a 3-byte code point split over three fragments', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: hex('61 e2'), fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: hex('82'), fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: hex('ac 62'), fin: true }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'a€b'));
  });

  it('echoes a 4-byte code point split between two fragments', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: hex('f0 9d'), fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: hex('84 9e'), fin: true }),
      ]),
    );
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, '𝄞'));
  });

  it('closes with 1007 when a sequence begun in one fragment is broken in the next', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: hex('61 62 f0 90'), fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: hex('28 63'), fin: true }),
      ]),
    );
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1007));
    expect(client.received).toHaveLength(1);
  });

  it('closes with 1007 when the last fragment ends inside a sequence', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: 'complete so far ', fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: hex('e2 82'), fin: true }),
      ]),
    );
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1007));
    expect(client.received).toHaveLength(1);
  });

  it('closes with 1007 when a surrogate is split across fragments (ED | A0 80)', async () => {
    const client = await connect();
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Opcode.Text, payload: hex('ed'), fin: false }),
        encodeFrame({ opcode: Opcode.Continuation, payload: hex('a0 80'), fin: true }),
      ]),
    );
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1007));
  });

  it('echoes a close reason in valid multibyte UTF-8', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: closePayload(1000, 'adiós ✓') });
    await expect(client.serverClose()).resolves.toEqual({ code: 1000, reason: 'adiós ✓' });
  });

  it.each([
    ['an overlong encoding', hex('c0 af')],
    ['a surrogate', hex('ed a0 80')],
    ['a truncated sequence', hex('6f 6b e2 82')],
  ])('closes with 1007 when a close reason holds %s', async (_what, reason) => {
    const client = await connect();
    client.send({ opcode: Opcode.Close, payload: closePayload(1000, reason) });
    await expect(client.serverClose()).resolves.toEqual(target.protocolClose(1007));
  });
});
