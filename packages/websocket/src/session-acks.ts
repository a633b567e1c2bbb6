// The acknowledgements of a resumable session in both directions, on the wire as
// `{"<dispatcherKey>":"$ack","n":<count>}`: the server counts the client's messages and
// acknowledges them in batches (every `every` messages or 50 ms, whichever comes first), and
// recognises the client's own acknowledgements among its frames without parsing the others.
export const ACK_NAME = '$ack';

/** The client's acknowledgements are batched: at most this many messages apart (or 50 ms). */
const MAX_ACK_EVERY = 32;
const ACK_DELAY_MS = 50;
/** An acknowledgement frame is small; anything longer with the same start is not one. */
const MAX_ACK_BYTES = 64;

export class SessionAcks {
  /** Messages received from the client. */
  received = 0;
  /** How many of them were acknowledged to it. */
  private acked = 0;
  private timer: NodeJS.Timeout | undefined;
  /** How many messages apart the client acknowledges, and the server does. */
  readonly every: number;
  private readonly prefix: Buffer;
  private readonly key: string;

  constructor(
    dispatcherKey: string,
    maxBufferedMessages: number,
    /** Sends `frame()` on the current socket, if there is one (the timer's call). */
    private readonly flush: () => void,
  ) {
    this.key = JSON.stringify(dispatcherKey);
    this.prefix = Buffer.from(`{${this.key}:"${ACK_NAME}"`);
    this.every = Math.max(1, Math.min(MAX_ACK_EVERY, maxBufferedMessages >>> 1));
  }

  /** True for the client's acknowledgement frame, which is not a message of the service. */
  isAck(data: Buffer, isBinary: boolean): boolean {
    return !isBinary && data.length <= MAX_ACK_BYTES && data.length >= this.prefix.length && data.compare(this.prefix, 0, this.prefix.length, 0, this.prefix.length) === 0;
  }

  /** The count an acknowledgement frame carries, or undefined when it carries none. */
  countIn(data: Buffer): number | undefined {
    try {
      const n = (JSON.parse(data.toString()) as { n?: unknown }).n;
      return typeof n === 'number' ? n : undefined;
    } catch {
      return undefined;
    }
  }

  /** A message of the client was handed on: acknowledge now, or within 50 ms. */
  count(): void {
    this.received++;
    if (this.received - this.acked >= this.every) this.flush();
    else this.timer ??= setTimeout(this.flush, ACK_DELAY_MS);
  }

  /** The acknowledgement to send now, or undefined when the client knows of every message already. */
  frame(): string | undefined {
    this.stop();
    if (this.acked === this.received) return undefined;
    this.acked = this.received;
    return `{${this.key}:"${ACK_NAME}","n":${this.received}}`;
  }

  /** A resumed socket starts with the count in its `$session` frame: nothing is owed. */
  caughtUp(): void {
    this.acked = this.received;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
