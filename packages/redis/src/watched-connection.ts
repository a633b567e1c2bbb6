// One of the backplane's ioredis connections, watched for a Redis that holds the socket open but
// stops answering (a frozen process, a stuck proxy): ioredis then keeps every command, and the
// bytes written for it, until an answer that never comes. Here a connection attempt must reach
// 'ready' within `connectTimeout`, and a command sent must be answered within `commandTimeout`
// of the last answer; otherwise the socket is destroyed, which fails the commands in flight
// (the backplane sets `maxRetriesPerRequest: 0`) and lets ioredis reconnect with its backoff.
import { type Redis, ReplyError } from 'ioredis';

/** @internal */
export class WatchedConnection {
  /** Commands sent through `sent()` or `track()` that have neither been answered nor failed. */
  pending = 0;
  /** Set when Redis was found silent, until the socket given up on has closed. */
  private silent = false;
  private waitingSince = 0;
  private lastAnswerAt = 0;
  private silenceTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly redis: Redis,
    private readonly connectTimeoutMs: number,
    private readonly commandTimeoutMs: number,
    /** Called once each time Redis is found silent, with the reason. */
    private readonly onSilent: (reason: Error) => void,
  ) {
    redis.on('connecting', () => {
      clearTimeout(this.attemptTimer);
      this.attemptTimer = setTimeout(
        () => this.giveUp(new Error(`Redis did not complete the connection within connectTimeout (${connectTimeoutMs} ms)`)),
        connectTimeoutMs,
      );
      this.attemptTimer.unref();
    });
    redis.on('ready', () => clearTimeout(this.attemptTimer));
    redis.on('close', () => {
      clearTimeout(this.attemptTimer);
      this.silent = false;
    });
  }

  /** True while commands may be sent: the connection is ready and Redis has not been found silent. */
  get usable(): boolean {
    return this.redis.status === 'ready' && !this.silent;
  }

  /** Records a command just sent; `answered` or `failed` must follow. Cheap: it runs per publish. */
  sent(): void {
    if (this.pending++ !== 0) return;
    this.waitingSince = Date.now();
    if (this.silenceTimer === undefined) this.watch(this.commandTimeoutMs);
  }

  /** The command's answer arrived (a function bound once, to pass to `then` without a closure per command). */
  readonly answered = (): void => {
    this.pending--;
    this.lastAnswerAt = Date.now();
  };

  /** The command failed: refused by Redis (an answer all the same), or failed by ioredis when the socket closed. */
  readonly failed = (error: unknown): void => {
    this.pending--;
    if (error instanceof ReplyError) this.lastAnswerAt = Date.now();
  };

  /** Watches a command sent by other code; returns it unchanged. */
  track<T>(command: Promise<T>): Promise<T> {
    this.sent();
    command.then(this.answered, this.failed);
    return command;
  }

  /** Gives up on the current socket: its commands fail, and ioredis reconnects (unless it is being closed). */
  giveUp(reason: Error): void {
    clearTimeout(this.attemptTimer);
    const stream = this.redis.stream;
    if (stream === undefined || stream.destroyed) return;
    this.silent = true;
    stream.destroy(reason);
  }

  /**
   * Quits politely when the connection is up, and waits until its socket is closed; a silent
   * Redis fails the QUIT within `commandTimeout`, and the socket is then closed without it.
   */
  async close(): Promise<void> {
    const redis = this.redis;
    if (redis.status === 'end') return this.dispose();
    if (redis.status === 'reconnecting') {
      redis.disconnect(); // no socket between attempts, only the timer of the next one to clear
      return this.dispose();
    }
    const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    if (this.usable) await this.track(redis.quit()).catch(() => redis.disconnect());
    else redis.disconnect();
    await ended;
    this.dispose();
  }

  /** Clears the timers. */
  dispose(): void {
    clearTimeout(this.attemptTimer);
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }

  private watch(ms: number): void {
    this.silenceTimer = setTimeout(this.checkSilence, ms);
    this.silenceTimer.unref();
  }

  private readonly checkSilence = (): void => {
    this.silenceTimer = undefined;
    if (this.pending <= 0) return;
    // Redis answers in order: any answer since the oldest command was sent shows it is alive.
    const silentFor = Date.now() - Math.max(this.lastAnswerAt, this.waitingSince);
    if (silentFor < this.commandTimeoutMs) {
      this.watch(this.commandTimeoutMs - silentFor);
      return;
    }
    this.onSilent(new Error(`Redis left a command unanswered for commandTimeout (${this.commandTimeoutMs} ms)`));
  };
}
