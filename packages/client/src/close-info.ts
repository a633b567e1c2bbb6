// Why a client ended up 'closed', and which closes it retries.

/** Why the client is closed. */
export interface CloseInfo {
  /** The close code: the client's own for `close()`, else the last one seen (1006 for a failed connect). */
  readonly code: number;
  readonly reason: string;
  /** The HTTP status of a refused upgrade, where the platform shows it (Node, Bun). */
  readonly status?: number;
  /** `'client'`: `close()`; `'server'`: a close or refusal that is not retried; `'attempts'`: `reconnect.maxAttempts` ran out. */
  readonly by: 'client' | 'server' | 'attempts';
  /** Queued `send`s that never went out. */
  readonly unsent: number;
}

// A close the server chose and that a retry would meet again: normal closure, unsupported data,
// protocol error, invalid payload, policy violation, too big, missing extension. 1002 is not in
// the list; it is here because peers that broke the protocol once will break it again.
const FINAL_CLOSE_CODES = new Set([1000, 1002, 1003, 1007, 1008, 1009, 1010]);

/**
 * Whether a close the client did not ask for is retried: 1001, 1005, 1006, 1011–1015, application
 * codes (4000–4999) and a failed connect are; the codes above and an HTTP 4xx refusal are not,
 * except 408 and 429, which say "later".
 */
export function isRetried(code: number, status: number | undefined): boolean {
  if (status !== undefined && status >= 400 && status < 500) return status === 408 || status === 429;
  return !FINAL_CLOSE_CODES.has(code);
}
