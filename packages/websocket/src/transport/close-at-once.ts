// How a ws connection's TCP socket ends once the close handshake is done. ws ends it (a FIN)
// and then waits for the client's FIN, up to the service's `connectionClosureTimeout`, before
// the socket closes. The server closes first either way (RFC 6455 §7.1.1); what waiting adds is
// a half-open socket per connection that a client may hold until the timeout, and a native
// shutdown request per close: at a mass disconnect, 16,667 of them at once are about 5 MiB of
// malloc'd memory that glibc then keeps (docs/scale.md). So once both close frames have been
// exchanged and every write has reached the kernel, the socket is closed at once: the kernel
// still sends what it holds, then the FIN. Anything else (a close frame still queued, a TLS
// socket, whose close_notify is written by `end`, an end for any other reason) ends as ws asks.
import { Socket } from 'node:net';
import type WebSocket from 'ws';

/** ws's close-handshake state, fields of its WebSocket that its typings leave out. */
interface CloseHandshakeState {
  readonly _closeFrameReceived: boolean;
  readonly _closeFrameSent: boolean;
}

/** ws's own key from a TCP socket to its WebSocket (set by `setSocket`), found at the first socket. */
let wsKey: symbol | undefined;

const endAsWsAsks = Socket.prototype.end;

/** Makes `stream` (ws's socket `ws`) close at once when ws ends it after a completed close handshake. */
export function closeAtOnceAfterCloseHandshake(stream: Socket, ws: WebSocket): void {
  if ((stream as Socket & { encrypted?: boolean }).encrypted === true || stream.end !== endAsWsAsks) return;
  const record = stream as unknown as Record<symbol, unknown>;
  // ws links the socket to its WebSocket already: that link is followed, not a second one added.
  wsKey ??= Object.getOwnPropertySymbols(stream).find((key) => record[key] === ws);
  if (wsKey === undefined || record[wsKey] !== ws) return;
  stream.end = endOrClose as Socket['end'];
}

// Shared by every socket (no closure per connection); `this` is the socket ws ends.
function endOrClose(this: Socket, data?: unknown, encoding?: unknown, callback?: unknown): Socket {
  const ws = (this as unknown as Record<symbol, CloseHandshakeState>)[wsKey!];
  // ws calls `end()` bare; an end with data or a callback is someone else's, and ends as asked.
  if (data === undefined && encoding === undefined && callback === undefined && ws._closeFrameReceived && ws._closeFrameSent && this.writableLength === 0) {
    this.destroy();
    return this;
  }
  return (endAsWsAsks as (this: Socket, ...args: unknown[]) => Socket).call(this, data, encoding, callback);
}
