// Waits with timeouts for tests: a message matching a predicate, the close of a connection, a
// condition on the server's side. Each fails with an error naming what it waited for.
//
// A `WebSocketClient` read cannot be cancelled, so when a wait times out its read is parked
// here, per client, and the next wait on that client takes it up first: no message is lost
// between waits. (A direct `client.readMessage()` after a timed-out wait would race that
// parked read; read on with `waitFor` instead.)
import { ConnectionClosedError, InvalidArgumentError, ReadTimeoutError, type WebSocketClient } from '@duet/websocket';
import { MAX_TIMER_MS } from '@duet/websocket/internal';
import { ClosedWhileWaitingError, type ReceivedMessage, SkippedMessages, WaitTimeoutError } from './wait-errors';

/** Milliseconds a wait lasts unless told otherwise. */
export const DEFAULT_WAIT_TIMEOUT_MS = 3000;

/**
 * The timeout in milliseconds, or `{ timeoutMs, description }` (the description names what is
 * awaited in the error). Waits count in milliseconds, as jest's own timeouts do; the option says
 * so in its name (docs/api-conventions.md).
 */
export type WaitOptions = number | { timeoutMs?: number; description?: string };

type Outcome = { readonly message: ReceivedMessage } | { readonly error: unknown };

const parked = new WeakMap<WebSocketClient, Promise<Outcome>>();
const TIMED_OUT = Symbol('timed out');

/**
 * Reads messages from `client` until one matches `predicate` and returns it; the messages
 * before it are skipped (dropped). Rejects with `WaitTimeoutError` after the timeout (3000 ms
 * by default) and with `ClosedWhileWaitingError` when the connection closes first; both name
 * what was awaited (the `description`, else the predicate's source) and show what was skipped.
 *
 * @example
 * ```ts
 * const joined = await waitFor(client, (m) => typeof m === 'string' && m.startsWith('joined'), 1000);
 * ```
 */
export function waitFor<T extends ReceivedMessage>(
  client: WebSocketClient,
  predicate: (message: ReceivedMessage) => message is T,
  options?: WaitOptions,
): Promise<T>;
export function waitFor(
  client: WebSocketClient,
  predicate: (message: ReceivedMessage) => boolean,
  options?: WaitOptions,
): Promise<ReceivedMessage>;
export async function waitFor(
  client: WebSocketClient,
  predicate: (message: ReceivedMessage) => boolean,
  options?: WaitOptions,
): Promise<ReceivedMessage> {
  const { timeout, description } = resolveOptions(options);
  const awaited = description ?? `a message matching ${describePredicate(predicate)}`;
  const skipped = new SkippedMessages();
  const deadline = Date.now() + timeout;
  for (;;) {
    const outcome = await nextOutcome(client, deadline);
    if (outcome === TIMED_OUT) throw new WaitTimeoutError(awaited, timeout, skipped.count, skipped.last);
    if ('error' in outcome) {
      if (outcome.error instanceof ReadTimeoutError) continue; // the client's own read timeout: ours rules
      if (outcome.error instanceof ConnectionClosedError) {
        const { closeCode, reason } = outcome.error;
        throw new ClosedWhileWaitingError(awaited, closeCode, reason, skipped.count, skipped.last);
      }
      throw outcome.error;
    }
    if (predicate(outcome.message)) return outcome.message;
    skipped.add(outcome.message);
  }
}

/** The close a connection ended with, as `waitForClose` reports it. */
export interface ObservedClose {
  code: number;
  reason: string;
}

/**
 * Waits until `client`'s connection has closed (whoever closed it), skipping any message still
 * unread, and returns the close code and reason (1006 for a dropped socket). Rejects with
 * `WaitTimeoutError` after the timeout (3000 ms by default).
 *
 * @example
 * ```ts
 * await client.writeTextMessage('boom');
 * expect((await waitForClose(client)).code).toBe(1011);
 * ```
 */
export async function waitForClose(client: WebSocketClient, options?: WaitOptions): Promise<ObservedClose> {
  const { timeout, description } = resolveOptions(options);
  const skipped = new SkippedMessages();
  const deadline = Date.now() + timeout;
  for (;;) {
    const outcome = await nextOutcome(client, deadline);
    if (outcome === TIMED_OUT) {
      throw new WaitTimeoutError(description ?? 'the connection to close', timeout, skipped.count, skipped.last);
    }
    if (!('error' in outcome)) {
      skipped.add(outcome.message);
      continue;
    }
    if (outcome.error instanceof ReadTimeoutError) continue;
    if (outcome.error instanceof ConnectionClosedError) {
      return { code: outcome.error.closeCode ?? 1006, reason: outcome.error.reason };
    }
    throw outcome.error;
  }
}

/**
 * Polls `condition` every few milliseconds until it holds; for state on the server's side
 * (a registry count, what an observer recorded). Rejects with `WaitTimeoutError` naming
 * `description` after `timeoutMs` (3000 by default).
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  description = 'a condition to hold',
): Promise<void> {
  checkTimeout(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new WaitTimeoutError(description, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// The next read's outcome, or TIMED_OUT at the deadline (the read is then parked for the next wait).
async function nextOutcome(client: WebSocketClient, deadline: number): Promise<Outcome | typeof TIMED_OUT> {
  let read = parked.get(client);
  parked.delete(client);
  read ??= client.readMessage().then(
    (message) => ({ message }),
    (error: unknown) => ({ error }),
  );
  let timer: NodeJS.Timeout | undefined;
  // A read that has already settled wins over a zero-length timer: its callback runs first.
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, Math.max(deadline - Date.now(), 0), TIMED_OUT);
  });
  const outcome = await Promise.race([read, expired]);
  clearTimeout(timer);
  if (outcome === TIMED_OUT) parked.set(client, read);
  return outcome;
}

function resolveOptions(options: WaitOptions | undefined): { timeout: number; description: string | undefined } {
  const given = typeof options === 'number' ? { timeoutMs: options } : (options ?? {});
  // The option was `timeout` before it said its unit; ignoring it would wait 3 s instead.
  if ('timeout' in given) throw new InvalidArgumentError("a wait's option is timeoutMs (milliseconds); 'timeout' was renamed");
  const timeout = given.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  checkTimeout(timeout);
  return { timeout, description: given.description };
}

function checkTimeout(timeout: unknown): void {
  if (typeof timeout !== 'number' || !(timeout >= 0 && timeout <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError(`a wait timeout is a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(timeout)}`);
  }
}

function describePredicate(predicate: (message: ReceivedMessage) => boolean): string {
  const source = String(predicate).replace(/\s+/g, ' ');
  return source.length > 120 ? `${source.slice(0, 120)}…` : source;
}
