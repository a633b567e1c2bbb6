// RFC 7692 (permessage-deflate) on the wire, against the compressing echo of each target: what
// is agreed, compressed messages whole and in fragments, and the protocol errors compression
// adds (RSV1 where it has no meaning, a broken stream, a message too big once inflated).
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { Opcode, RawClient, closeAllRawSockets } from './raw-client';
import { type EchoTarget, Path, TARGETS } from './targets';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };

/** `data` compressed as one message (RFC 7692 7.2.1: sync-flushed, the 4-byte tail removed). */
function deflated(data: Buffer | string): Buffer {
  const bytes = deflateRawSync(typeof data === 'string' ? Buffer.from(data) : data, { finishFlush: constants.Z_SYNC_FLUSH });
  return bytes.subarray(0, bytes.length - TAIL.length);
}

function inflated(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
}

const TEXT = 'a compressible sentence, said again and again; '.repeat(60);

describe.each(TARGETS)('permessage-deflate — %s', (_name, start) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const connect = () => RawClient.connect(target.port, Path.Deflate, undefined, OFFER);

  it('agrees the offer, naming no window the client did not ask about', async () => {
    const client = await connect();
    expect(client.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate');
  });

  it('echoes a compressed text message compressed (RSV1 on the frame), byte for byte once inflated', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: deflated(TEXT), rsv1: true });
    const frame = await client.nextFrame();
    expect([frame.rsv1, frame.opcode, frame.fin]).toEqual([true, Opcode.Text, true]);
    expect(inflated(frame.payload).toString()).toBe(TEXT);
  });

  it('takes a compressed message in fragments: RSV1 on the first, clear on the continuations', async () => {
    const client = await connect();
    const payload = deflated(TEXT);
    const third = Math.floor(payload.length / 3);
    client.send({ opcode: Opcode.Text, payload: payload.subarray(0, third), rsv1: true, fin: false });
    client.send({ opcode: Opcode.Continuation, payload: payload.subarray(third, 2 * third), fin: false });
    client.send({ opcode: Opcode.Continuation, payload: payload.subarray(2 * third) });
    expect(inflated((await client.nextFrame()).payload).toString()).toBe(TEXT);
  });

  it('takes an uncompressed message (RSV1 clear) on a compressing connection', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Binary, payload: Buffer.from([1, 2, 3]) });
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(Opcode.Binary);
    expect(frame.rsv1 ? inflated(frame.payload) : frame.payload).toEqual(Buffer.from([1, 2, 3]));
  });

  it('closes with 1002 on RSV1 set on a continuation frame', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: deflated('ab').subarray(0, 1), rsv1: true, fin: false });
    client.send({ opcode: Opcode.Continuation, payload: deflated('ab').subarray(1), rsv1: true });
    expect((await client.serverClose()).code).toBe(1002);
  });

  it('closes with 1002 on RSV1 set on a ping', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Ping, payload: 'x', rsv1: true });
    expect((await client.serverClose()).code).toBe(1002);
  });

  it('closes with 1007 on a deflate stream that cannot be inflated', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Binary, payload: Buffer.from([0xff, 0xff, 0xff, 0xff]), rsv1: true });
    expect((await client.serverClose()).code).toBe(1007);
  });

  it('closes with 1007 on compressed text that inflates to invalid UTF-8', async () => {
    const client = await connect();
    client.send({ opcode: Opcode.Text, payload: deflated(Buffer.from([0x61, 0xc3, 0x28])), rsv1: true });
    expect((await client.serverClose()).code).toBe(1007);
  });

  it('closes with 1009 on a 1 KiB message that inflates past the limit, echoing nothing', async () => {
    const client = await connect();
    const bomb = deflated(Buffer.alloc(1000 * 1000));
    expect(bomb.length).toBeLessThanOrEqual(1024);
    client.send({ opcode: Opcode.Binary, payload: bomb, rsv1: true });
    expect((await client.serverClose()).code).toBe(1009);
    expect(client.received).toHaveLength(1);
  });
});
