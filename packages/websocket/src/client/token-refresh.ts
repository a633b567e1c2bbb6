// The pull client's half of token refresh (wire format in docs/client.md): `refreshToken` sends
// `{ [dispatcherKey]: '$token', token }` and the server's `$token` answer is taken off the socket
// before the read queue sees it. The server verifies refreshes in order, so each answer settles
// the oldest refresh waiting; only while one waits is a text frame looked at.
import { ConnectionClosedError, InvalidArgumentError } from '../errors';
import { timerSecondsProblem } from '../timer-limits';
import { ReadTimeoutError, TokenRefusedError } from './client-errors';

export const TOKEN_NAME = '$token';

interface Waiter {
  /** How the answer begins: `{"<dispatcherKey>":"$token"`. */
  readonly prefix: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class PendingRefreshes {
  private waiters: Waiter[] = [];

  /** Sends `token` with `send` and resolves on the server's acceptance. */
  async refresh(token: string, options: { dispatcherKey?: string; timeout?: number }, send: (frame: string) => Promise<void>): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new InvalidArgumentError('refreshToken takes a non-empty token string');
    const { dispatcherKey = 'type', timeout = 10 } = options;
    const problem = timerSecondsProblem(timeout, 'positive');
    if (problem !== undefined) throw new InvalidArgumentError(`refreshToken: timeout ${problem}`);
    // Waiting before the frame leaves: the answer cannot come ahead of its waiter.
    const answered = this.wait(dispatcherKey, timeout);
    answered.catch(() => {});
    await send(JSON.stringify({ [dispatcherKey]: TOKEN_NAME, token }));
    await answered;
  }

  /** Waits for the answer to a refresh just sent; `timeoutSeconds` later it fails with ReadTimeoutError. */
  private wait(dispatcherKey: string, timeoutSeconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const prefix = Buffer.from(`{${JSON.stringify(dispatcherKey)}:"${TOKEN_NAME}"`);
      const timer = setTimeout(() => {
        // Kept in line: its answer, when it comes, is still taken off the socket.
        waiter.timedOut = true;
        reject(new ReadTimeoutError(timeoutSeconds));
      }, timeoutSeconds * 1000);
      const waiter: Waiter & { timedOut?: boolean } = { prefix, resolve, reject, timer };
      this.waiters.push(waiter);
    });
  }

  /** A text frame: true when it answered a waiting refresh (the reader never sees it). */
  takes(data: Buffer): boolean {
    const waiter = this.waiters[0] as (Waiter & { timedOut?: boolean }) | undefined;
    if (waiter === undefined) return false;
    const { prefix } = waiter;
    if (data.length < prefix.length || data.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return false;
    this.waiters.shift();
    clearTimeout(waiter.timer);
    if (waiter.timedOut === true) return true;
    let answer: { ok?: unknown; code?: unknown; message?: unknown };
    try {
      answer = JSON.parse(data.toString()) as typeof answer;
    } catch {
      answer = {};
    }
    if (answer.ok === true) waiter.resolve();
    else {
      const message = typeof answer.message === 'string' ? answer.message : 'The server refused the token.';
      waiter.reject(new TokenRefusedError(message, typeof answer.code === 'string' ? answer.code : undefined));
    }
    return true;
  }

  /** The socket closed: every waiting refresh fails with the close. */
  failAll(closed: ConnectionClosedError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(closed);
    }
  }
}
