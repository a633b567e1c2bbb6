// Messages that arrive in pieces: every fragment is held until the message is whole, so how
// many one message may have is a limit of its own (maxFragments), met like maxFrameSize, with 1009.
import { Caller, OnText, WebSocketService } from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame } from './conformance/raw-client';
import { cleanup, startServices } from './helpers';

afterEach(async () => {
  closeAllRawSockets();
  await cleanup();
});

@WebSocketService({ path: '/four', maxFragments: 4 })
class FourPiecesService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

@WebSocketService({ path: '/default' })
class DefaultPiecesService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

/** A text message of `count` one-character fragments. */
function inPieces(count: number): Buffer {
  const frames = [encodeFrame({ opcode: Opcode.Text, payload: 'a', fin: count === 1 })];
  for (let i = 1; i < count; i++) frames.push(encodeFrame({ opcode: Opcode.Continuation, payload: 'a', fin: i === count - 1 }));
  return Buffer.concat(frames);
}

describe('messages in fragments', () => {
  it('takes a message in exactly maxFragments pieces', async () => {
    const { app } = await startServices([FourPiecesService]);
    const client = await RawClient.connect(app.port(), '/four');
    client.write(inPieces(4));
    expect((await client.nextFrame()).payload.toString()).toBe('aaaa');
  });

  it('closes with 1009 when a message arrives in more than maxFragments pieces, echoing nothing (not on Bun)', async () => {
    const { app } = await startServices([FourPiecesService]);
    const client = await RawClient.connect(app.port(), '/four');
    client.write(inPieces(5));
    if (app.engine === 'bun') {
      // docs/engines.md: Bun assembles fragments itself and does not count them; only the size is bounded.
      expect((await client.nextFrame()).payload.toString()).toBe('aaaaa');
      return;
    }
    await expect(client.serverClose()).resolves.toEqual({ code: 1009, reason: '' });
    expect(client.received).toHaveLength(1);
  });

  it('allows 128 fragments by default for the default 64 KiB maxFrameSize, and closes with 1009 at 129 (not on Bun)', async () => {
    const { app } = await startServices([DefaultPiecesService]);
    const fits = await RawClient.connect(app.port(), '/default');
    fits.write(inPieces(128));
    expect((await fits.nextFrame()).payload.toString()).toBe('a'.repeat(128));
    const tooMany = await RawClient.connect(app.port(), '/default');
    tooMany.write(inPieces(129));
    if (app.engine === 'bun') {
      expect((await tooMany.nextFrame()).payload.toString()).toBe('a'.repeat(129));
      return;
    }
    await expect(tooMany.serverClose()).resolves.toEqual({ code: 1009, reason: '' });
  });
});
