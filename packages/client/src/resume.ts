// The client half of a resumable session (`createClient(…, { resume: true })`; wire format in
// docs/client.md). It builds the URL that asks for a new session or to resume one, reads the
// server's `$session` and `$ack` frames, counts what the server sent and acknowledges it in
// batches, and keeps what the client sent until the server acknowledges it. The client keeps
// its requests across a drop and is told how the resume went (`SessionClient`).

/** What `client.onResume` listeners receive after each reconnect of a resumable client. */
export type ResumeResult = { readonly resumed: true } | { readonly resumed: false; readonly reason: string };

export const SESSION_NAME = '$session';
export const ACK_NAME = '$ack';
const RESUME_PARAM = 'duet-resume';
const ACK_PARAM = 'duet-ack';

/** What the session asks of its client. */
export interface SessionClient {
  /** Writes on the current socket, outside the session's count (acknowledgements, re-sends). */
  send(text: string): void;
  /** The session was resumed and what the server lacked was sent again: the client opens. */
  resumed(): void;
  /** A resume was refused (or not answered): a fresh session, or none; the client opens. */
  refused(reason: string): void;
}

/** How long a reconnected socket waits for the answer to its resume before taking the service for one without `resume`. */
const ANSWER_MS = 5000;

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
  private answerPending = false;
  private answerTimer: ReturnType<typeof setTimeout> | undefined;
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
    private readonly client: SessionClient,
  ) {}

  /** Whether requests on the wire wait for a resume at a drop (rather than fail). */
  get resumable(): boolean {
    return this.token !== undefined;
  }

  /** A socket opened: false when it asked to resume, so the client opens on the answer instead. */
  opensNow(): boolean {
    if (!this.enabled || this.token === undefined) return true;
    this.answerPending = true;
    this.answerTimer = setTimeout(() => this.unanswered(), ANSWER_MS);
    return false;
  }

  /**
   * A message from the server: true when it was the session's own (`$session`, `$ack`), which
   * the client does not see; anything else is counted.
   */
  take(message: unknown): boolean {
    if (!this.enabled) return false;
    const name = isRecord(message) ? message[this.dispatcherKey] : undefined;
    if (name === SESSION_NAME) {
      this.answered(message as Record<string, unknown>);
      return true;
    }
    if (name === ACK_NAME) {
      this.acknowledged((message as Record<string, unknown>).n);
      return true;
    }
    // `$session` is a session's first frame: anything else first means a service without `resume`.
    if (this.answerPending) this.unanswered();
    else if (this.token === undefined) this.disable();
    this.receivedOne();
    return false;
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

  /** The server's `$session` frame: a new session, or its answer to a resume. */
  private answered(frame: Record<string, unknown>): void {
    clearTimeout(this.answerTimer);
    if (this.answerPending && frame.resumed === true) {
      const resend = this.resumed(frame.ack);
      if (resend !== undefined) {
        // Numbered after what the server has, in order: each reaches it exactly once.
        for (const text of resend) this.client.send(text);
        this.client.resumed();
        return;
      }
    }
    if (typeof frame.token !== 'string') {
      this.unanswered();
      return;
    }
    const refused = this.answerPending;
    this.began(frame.token, frame.ackEvery);
    if (refused) this.client.refused(typeof frame.reason === 'string' ? frame.reason : 'unknown session');
  }

  /** No usable answer to a resume: the service does not keep sessions (any more); the client goes on without. */
  private unanswered(): void {
    this.disable();
    this.client.refused('unknown session');
  }

  /** A message (not a session frame) came from the server. */
  private receivedOne(): void {
    if (!this.enabled) return;
    this.received++;
    if (this.received - this.ackedReceived >= this.ackEvery) this.flushAck();
    else this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }

  /** The server acknowledged its first `n` messages from this client. */
  private acknowledged(n: unknown): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < this.ackedSent || n > this.ackedSent + this.unacked.length) return;
    this.unacked.splice(0, n - this.ackedSent);
    this.ackedSent = n;
  }

  /** A new session began (the first, or one after a refused resume): counts start again. */
  private began(token: string, ackEvery: unknown): void {
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
  private resumed(ack: unknown): readonly string[] | undefined {
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
    clearTimeout(this.answerTimer);
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
    this.client.send(`{${JSON.stringify(this.dispatcherKey)}:"${ACK_NAME}","n":${this.received}}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
