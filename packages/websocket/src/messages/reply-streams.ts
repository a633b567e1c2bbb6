// Streamed replies: a handler that returns an AsyncIterable has each item sent as its own
// message, in order, while the connection goes on handling later messages. A stream ends when
// the iterable does, when `caller.stopStream(id)` asks, or when the connection closes — and
// then the iterator's `return()` runs so the producer's `finally` frees what it holds.

/** What a stream needs from its connection. */
export interface StreamSink {
  /**
   * Sends one item: true once sent (or dropped by the policy), false when the connection can
   * take no more (closed); a promise when the reader must catch up first, after which the
   * item is offered again.
   */
  sendStreamItem(item: unknown, id: unknown): boolean | Promise<void>;
  streamFailed(error: unknown): void;
}

interface RunningStream {
  readonly iterator: AsyncIterator<unknown>;
  stopped: boolean;
}

export class ReplyStreams {
  private readonly running = new Map<unknown, RunningStream>();

  constructor(private readonly sink: StreamSink) {}

  /** Starts pumping `iterable`; a stream already running under the same id is stopped first. */
  start(iterable: AsyncIterable<unknown>, id: unknown): void {
    const key = id === undefined ? Symbol('duet.stream') : id;
    this.stop(key);
    const stream: RunningStream = { iterator: iterable[Symbol.asyncIterator](), stopped: false };
    this.running.set(key, stream);
    void this.pump(stream, key, id);
  }

  /** Ends the stream of `id`; false when none runs under it. */
  stop(id: unknown): boolean {
    const stream = this.running.get(id);
    if (stream === undefined) return false;
    this.end(stream, id);
    return true;
  }

  stopAll(): void {
    for (const [key, stream] of this.running) this.end(stream, key);
  }

  get size(): number {
    return this.running.size;
  }

  private end(stream: RunningStream, key: unknown): void {
    this.running.delete(key);
    if (stream.stopped) return;
    stream.stopped = true;
    // An async generator waiting in `await` finishes that step first, then runs its `finally`.
    stream.iterator.return?.()?.then(undefined, (error: unknown) => this.sink.streamFailed(error));
  }

  private async pump(stream: RunningStream, key: unknown, id: unknown): Promise<void> {
    try {
      for (;;) {
        const step = await stream.iterator.next();
        if (step.done || stream.stopped) break;
        let sent = this.sink.sendStreamItem(step.value, id);
        while (typeof sent !== 'boolean') {
          await sent;
          if (stream.stopped) break;
          sent = this.sink.sendStreamItem(step.value, id);
        }
        if (sent !== true || stream.stopped) break;
      }
    } catch (error) {
      if (!stream.stopped) this.sink.streamFailed(error);
      stream.stopped = true;
    }
    if (this.running.get(key) === stream) this.end(stream, key);
  }
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}
