// Replies to messages that arrived together leave together. ws hands over the messages of one
// read one by one; while it still holds bytes of that read (more frames follow), the socket is
// corked, and it is uncorked once the last of them has been handled, or at the latest when the
// read's processing ends: one write for the replies to a pipelined burst instead of one each.
// A message that arrives alone (request/response traffic) never corks. This reads ws's
// receiver and socket fields; the installed ws is probed per connection, and without them
// every reply is written on its own, as ws.send does.
// Replies held back this way are not a backlog of the reader's: the slow-consumer measure
// leaves them out (`held`), and the connection flushes a batch that grows past its share.
import type { Socket } from 'node:net';
import type WebSocket from 'ws';

/** What is read of ws's receiver: the bytes of the current read not yet handed over as messages. */
interface BufferedReceiver {
  readonly _bufferedBytes: number;
}

type SocketInternals = WebSocket & { readonly _receiver?: unknown; readonly _socket?: unknown };

/** The write batching of one connection. */
export class WriteBatch {
  private corked = false;
  /** The socket's queued bytes when it was corked: what the kernel had not accepted then. */
  private lengthAtCork = 0;

  private constructor(
    private readonly receiver: BufferedReceiver,
    readonly stream: Socket,
  ) {}

  /** The batching for `socket`, when the installed ws exposes its receiver and socket. */
  static of(socket: WebSocket): WriteBatch | undefined {
    const { _receiver: receiver, _socket: stream } = socket as SocketInternals;
    if (receiver === null || typeof receiver !== 'object') return undefined;
    if (typeof (receiver as BufferedReceiver)._bufferedBytes !== 'number') return undefined;
    if (stream === null || typeof stream !== 'object' || typeof (stream as Socket).cork !== 'function') return undefined;
    return new WriteBatch(receiver as BufferedReceiver, stream as Socket);
  }

  /** Called as a message is handed over: more frames of the same read follow, so hold the replies. */
  messageStarts(): void {
    if (this.corked || this.receiver._bufferedBytes === 0) return;
    this.corked = true;
    this.lengthAtCork = this.stream.writableLength;
    this.stream.cork();
    // Should the read end inside a frame, the replies so far leave when its processing ends.
    process.nextTick(flushBatch, this);
  }

  /** Called once the message is handled: after the last of the read, the replies leave together. */
  messageEnds(): void {
    if (this.corked && this.receiver._bufferedBytes === 0) this.flush();
  }

  /**
   * The bytes held back by this batch. Nothing leaves a corked socket, and a write in flight
   * completes only in a later turn of the event loop, so what was queued at the cork is still
   * queued: everything above it is this batch's.
   */
  held(): number {
    return this.corked ? this.stream.writableLength - this.lengthAtCork : 0;
  }

  /** Writes out the replies held back. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.stream.uncork();
  }
}

function flushBatch(batch: WriteBatch): void {
  batch.flush();
}
