// `serverTimeout`: a server that sends nothing for that long is taken for dead. The timer is
// re-armed on every message received, so its callback is bound once: arming allocates nothing
// but the timer.

export class SilenceTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** `serverTimeout` in seconds; undefined: never armed. */
    private readonly timeout: number | undefined,
    /** Called when the server stayed silent for `timeout` seconds. */
    private readonly silent: (timeout: number) => void,
  ) {}

  /** (Re)starts the wait for the server's next message. */
  arm(): void {
    if (this.timeout === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#expired, this.timeout * 1000);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }

  readonly #expired = (): void => this.silent(this.timeout!);
}
