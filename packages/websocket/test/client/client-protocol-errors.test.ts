// A server that breaks the protocol: the client fails the connection itself with the close code
// the fault calls for, tells the server so in its close frame, rejects a waiting read at once
// with that code and a reason, and never reconnects, whatever its retryConfig says.
import type { Socket } from 'node:net';
import { ConnectionClosedError, WebSocketClient } from '@duet/websocket';
import { pause } from '../helpers';
import { type RawServer, closeFrameFrom, frame, startRawServer, switchingProtocols } from './raw-server';
import { closeAll, rejectionOf, track } from './support';

const raws: RawServer[] = [];

afterEach(async () => {
  await closeAll();
  await Promise.all(raws.splice(0).map((raw) => raw.close()));
});

/** Answers every handshake, sends `bad` 30 ms later, ignores the client's close, and drops the TCP connection after 500 ms. */
async function faultyServer(bad: Buffer): Promise<RawServer> {
  const raw = await startRawServer((socket: Socket, head) => {
    socket.write(switchingProtocols(head));
    const send = setTimeout(() => socket.write(bad), 30);
    const drop = setTimeout(() => socket.destroy(), 500);
    socket.once('close', () => {
      clearTimeout(send);
      clearTimeout(drop);
    });
  });
  raws.push(raw);
  return raw;
}

const faults: [string, number, Buffer, RegExp][] = [
  ['a message over maxFrameSize', 1009, frame(0x2, Buffer.alloc(1025, 7)), /maxFrameSize \(1024 bytes\)/],
  ['a text message that is not UTF-8', 1007, frame(0x1, Buffer.from([0x68, 0xc3, 0x28])), /UTF-8/],
  ['a masked frame', 1002, frame(0x1, Buffer.from('hello'), { mask: Buffer.from([1, 2, 3, 4]) }), /masked/],
];

describe('WebSocketClient against a server that breaks the protocol', () => {
  it.each(faults)('fails the connection on %s with %i, rejects the waiting read at once and does not reconnect', async (_what, code, bad, reason) => {
    const raw = await faultyServer(bad);
    const client = track(
      await WebSocketClient.connect(raw.url, { maxFrameSize: 1024, retryConfig: { maxCount: 3, interval: 0.02 } }),
    );
    // Well before the server drops the connection at 500 ms.
    const error = await rejectionOf(client.readMessage(), 300);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 'DUET_ERR_CONNECTION_CLOSED', statusCode: code });
    expect((error as ConnectionClosedError).reason).toMatch(reason);
    expect(await closeFrameFrom(raw, 0)).toMatchObject({ code });
    expect(client.isOpen()).toBe(false);
    expect(await rejectionOf(client.writeTextMessage('more'))).toMatchObject({ statusCode: code });
    await pause(600); // past the drop, which used to look like an abnormal closure worth a reconnect
    expect(raw.accepted).toBe(1);
    expect(await rejectionOf(client.readMessage())).toMatchObject({ statusCode: code });
  });

  it('still delivers the messages that arrived before the fault', async () => {
    const good = frame(0x1, Buffer.from('before'));
    const raw = await faultyServer(Buffer.concat([good, frame(0x1, Buffer.from([0xff]))]));
    const client = track(await WebSocketClient.connect(raw.url, { retryConfig: { maxCount: 3, interval: 0.02 } }));
    await pause(200);
    expect(await client.readMessage()).toBe('before');
    expect(await rejectionOf(client.readMessage(), 200)).toMatchObject({ statusCode: 1007 });
    expect(raw.accepted).toBe(1);
  });
});
