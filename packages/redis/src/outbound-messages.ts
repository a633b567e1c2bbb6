// What a node sends over Redis, all through its one publisher connection, so that Redis runs
// its PUBLISHes, and other nodes receive them, in the order it sent them: broadcasts and signals
// numbered in one sequence (receivers count gaps as missed), answers on the asker's channel,
// and requests (published by a script, see node-counts.ts). Each is refused and counted as
// undelivered, never queued, while Redis is away or silent, or while `maxPendingPublishes` wait
// for Redis to answer.
import type { BackplaneMessage, Logger } from '@duet/websocket';
import type { WatchedConnection } from './watched-connection';
import type { WireBroadcast, WireSignal } from './wire-message';

/** @internal */
export class OutboundMessages {
  /** Broadcasts, signals and answers that could not be published. */
  undelivered = 0;
  /** Set when the backplane stops: nothing more is sent. */
  stopped = false;
  /** Set at start; until then everything is refused. */
  publisher: WatchedConnection | undefined;
  /** Publishes sent and not yet answered (the count writes and liveness reads are not publishes). */
  private publishing = 0;
  private sequence = 0;
  /** Numbered publishes that failed: receivers do not count those numbers as missed. */
  private failedNumbered = 0;

  constructor(
    private readonly channel: string,
    private readonly origin: () => string,
    private readonly maxPending: number,
    private readonly logger: Logger,
  ) {}

  /** Whether a publish may be sent now: Redis is up and answering, and `maxPendingPublishes` are not waiting. */
  get open(): boolean {
    const publisher = this.publisher;
    return publisher !== undefined && publisher.usable && this.publishing < this.maxPending && !this.stopped;
  }

  /** How many publishes wait for Redis to answer. */
  get pending(): number {
    return this.publishing;
  }

  broadcast(message: BackplaneMessage): void {
    if (!this.open) {
      this.undelivered++;
      return;
    }
    const wire: WireBroadcast = { ...message, seq: ++this.sequence, failed: this.failedNumbered };
    this.send(this.channel, JSON.stringify(wire), this.numberedFailed);
  }

  signal(kind: string, body: unknown): void {
    if (!this.open) {
      this.undelivered++;
      return;
    }
    let payload: string;
    try {
      const wire: WireSignal = { type: 'signal', origin: this.origin(), seq: this.sequence + 1, failed: this.failedNumbered, kind, body };
      payload = JSON.stringify(wire);
    } catch (error) {
      this.undelivered++;
      this.logger.error('Redis backplane could not send a signal: its body is not JSON', { kind, error: (error as Error).message });
      return;
    }
    this.sequence++;
    this.send(this.channel, payload, this.numberedFailed);
  }

  /** Publishes an answer (encoded already) on the asking node's own channel. */
  answer(to: string, payload: string): void {
    if (!this.open) {
      this.undelivered++;
      return;
    }
    this.send(`${this.channel}:${to}`, payload, this.answerFailed);
  }

  /** Counts a publish made by another command (the request script) among those waiting; returns it unchanged. */
  track<T>(command: Promise<T>): Promise<T> {
    this.publishing++;
    command.then(this.settled, this.settled);
    return command;
  }

  private send(channel: string, payload: string, failed: (error: unknown) => void): void {
    const publisher = this.publisher!;
    publisher.sent();
    this.publishing++;
    publisher.redis.publish(channel, payload).then(this.published, failed);
  }

  // Bound once, to pass to `then` without a closure per publish.
  private readonly settled = (): void => {
    this.publishing--;
  };

  private readonly published = (): void => {
    this.publishing--;
    this.publisher?.answered();
  };

  /** A numbered publish that Redis refused or that failed with its socket: counted here, not again by the receivers. */
  private readonly numberedFailed = (error: unknown): void => {
    this.publishing--;
    this.publisher?.failed(error);
    this.undelivered++;
    this.failedNumbered++;
  };

  private readonly answerFailed = (error: unknown): void => {
    this.publishing--;
    this.publisher?.failed(error);
    this.undelivered++;
  };
}
