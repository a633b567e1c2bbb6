// The client half of a resumable session (`createClient(…, { resume: true })`; wire format in
// docs/client.md). It counts what the server sent and acknowledges it in batches, keeps what it
// sent until the server acknowledges it, and builds the URL that asks for a new session or to
// resume one. The client decides what a drop means; this holds the counts.

/** What `client.onResume` listeners receive after each reconnect of a resumable client. */
export type ResumeResult = { readonly resumed: true } | { readonly resumed: false; readonly reason: string };

export const SESSION_NAME = '$session';
export const ACK_NAME = '$ack';
const RESUME_PARAM = 'duet-resume';
const ACK_PARAM = 'duet-ack';

/** A batch of acknowledgements goes out at the latest this long after its first message. */
const ACK_DELAY_MS = 50;
/**
 * Sends kept before the server has said whether it keeps sessions (a service without `resume`
 * never says): past this many the client takes it for a service without `resume`.
 */
const MAX_TENTATIVE = 1000;

export class ClientSession {
  /** The session's token once the server gave one. */
  token: string | undefined;
  /** The current socket asked to resume and the server has not answered yet. */
  answerPending = false;
  /** Messages received from the server in this session (its own `$session`/`$ack` frames aside). */
  private received = 0;
  private ackedReceived = 0;
  /** Sent and not acknowledged by the server, oldest first: messages `ackedSent + 1 …`. */
  private unacked: string[] = [];
  private ackedSent = 0;
  private ackEvery = 32;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Off once the service turned out not to keep sessions: the client is a plain one from then on. */
  private enabled = true;

  constructor(
    private readonly dispatcherKey: string,
    private readonly sendAck: (text: string) => void,
  ) {}

  /** Whether the client counts and keeps what goes over the current socket. */
  get active(): boolean {
    return this.enabled;
  }

  /** The URL for the next socket: ask for a new session, or to resume this one after the messages received. */
  urlFor(url: string): string {
    if (!this.enabled) return url;
    const separator = url.includes('?') ? '&' : '?';
    if (this.token === undefined) return `${url}${separator}${RESUME_PARAM}=new`;
    return `${url}${separator}${RESUME_PARAM}=${encodeURIComponent(this.token)}&${ACK_PARAM}=${this.received}`;
  }

  /** A message went out on the current socket. */
  sent(text: string): void {
    if (!this.enabled) return;
    this.unacked.push(text);
    if (this.token === undefined && this.unacked.length > MAX_TENTATIVE) this.disable();
  }

  /** A message (not a session frame) came from the server. */
  receivedOne(): void {
    if (!this.enabled) return;
    this.received++;
    if (this.received - this.ackedReceived >= this.ackEvery) this.flushAck();
    else this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }

  /** The server acknowledged its first `n` messages from this client. */
  acknowledged(n: unknown): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < this.ackedSent || n > this.ackedSent + this.unacked.length) return;
    this.unacked.splice(0, n - this.ackedSent);
    this.ackedSent = n;
  }

  /** A new session began (the first, or one after a refused resume): counts start again. */
  began(token: string, ackEvery: unknown): void {
    this.token = token;
    if (typeof ackEvery === 'number' && Number.isSafeInteger(ackEvery) && ackEvery >= 1) this.ackEvery = ackEvery;
    this.received = this.ackedReceived = this.ackedSent = 0;
    // After a refused resume what the old session kept is lost (the caller fails its requests);
    // on a first socket, what went out before the answer is the new session's first messages.
    if (this.answerPending) this.unacked = [];
    this.answerPending = false;
  }

  /**
   * The session was resumed; the server has the first `ack` messages: returns those to send
   * again, in order, or undefined for a count that does not fit what was sent (then the answer
   * is taken as a refusal).
   */
  resumed(ack: unknown): readonly string[] | undefined {
    if (typeof ack !== 'number' || !Number.isSafeInteger(ack) || ack < this.ackedSent || ack > this.ackedSent + this.unacked.length) {
      return undefined;
    }
    this.unacked.splice(0, ack - this.ackedSent);
    this.ackedSent = ack;
    this.ackedReceived = this.received;
    this.answerPending = false;
    return this.unacked;
  }

  /** The socket is gone: a pending batch of acknowledgements has nowhere to go (the resume URL carries the count). */
  socketLost(): void {
    this.answerPending = false;
    // Sent on a socket that never got its session: lost as a plain client's are, not the next session's.
    if (this.token === undefined) this.unacked = [];
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** The service does not keep sessions (or the client closed): nothing is counted or kept any more. */
  disable(): void {
    this.enabled = false;
    this.token = undefined;
    this.answerPending = false;
    this.unacked = [];
    this.socketLost();
  }

  private flushAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.received === this.ackedReceived) return;
    this.ackedReceived = this.received;
    this.sendAck(`{${JSON.stringify(this.dispatcherKey)}:"${ACK_NAME}","n":${this.received}}`);
  }
}
