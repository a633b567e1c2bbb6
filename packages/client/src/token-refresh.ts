// The client half of token refresh (wire format in docs/client.md): `refreshToken(token)` sends
// `{ [dispatcherKey]: '$token', token }` and settles on the server's `$token` answer (the server
// verifies refreshes in order, so answers match the oldest waiting one). With `tokenProvider`
// it also fetches the token for each connect, and a fresh one before the current one expires:
// when 80 % of its lifetime has passed (at most 60 s before its `exp`, read from the JWT).
import { ClientArgumentError, ConnectionLostError, RequestTimeoutError, TokenRefreshError } from './errors';
import { MAX_TIMER_MS, type ResolvedOptions } from './options';

export const TOKEN_NAME = '$token';

/** A refresh starts this long before expiry at most (a long-lived token is renewed a minute early). */
const MAX_LEAD_MS = 60_000;
/** A failed automatic renewal is tried again after this long, until the token has expired. */
const RETRY_MS = 1000;

interface Waiter {
  resolve: (expiresAt: number | undefined) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Timed out: its answer, when it comes, is dropped. */
  settled: boolean;
}

/** What token refresh needs of its client. */
export interface TokenClient {
  isOpen(): boolean;
  /** Sends on the open socket (counted by a resumable session like any message). */
  send(text: string): void;
}

export class ClientTokens {
  #waiters: Waiter[] = [];
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  /** The token the connection runs on now, when this client knows it. */
  #token: string | undefined;

  constructor(
    private readonly dispatcherKey: string,
    private readonly timeoutSeconds: number,
    private readonly provider: (() => Promise<string>) | undefined,
    private readonly client: TokenClient,
  ) {}

  /** Sends `token`; resolves once the server accepted it. */
  async refresh(token: string): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new ClientArgumentError('refreshToken takes a non-empty token string.');
    if (!this.client.isOpen()) throw new TokenRefreshError('The client is not connected: a token is refreshed on an open connection.', undefined);
    const serverExpiry = await new Promise<number | undefined>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, settled: false, timer: undefined! };
      waiter.timer = setTimeout(() => {
        waiter.settled = true;
        reject(new RequestTimeoutError(TOKEN_NAME, this.timeoutSeconds));
      }, this.timeoutSeconds * 1000);
      this.#waiters.push(waiter);
      this.client.send(JSON.stringify({ [this.dispatcherKey]: TOKEN_NAME, token }));
    });
    this.#token = token;
    this.#schedule(expiryOf(token) ?? serverExpiry);
  }

  /** A message from the server: true when it was the answer to a refresh. */
  take(message: Record<string, unknown>): boolean {
    if (message[this.dispatcherKey] !== TOKEN_NAME) return false;
    const waiter = this.#waiters.shift();
    if (waiter === undefined || waiter.settled) return true;
    clearTimeout(waiter.timer);
    if (message.ok === true) {
      waiter.resolve(typeof message.expiresAt === 'number' ? message.expiresAt : undefined);
    } else {
      const text = typeof message.message === 'string' ? message.message : 'The server refused the token.';
      waiter.reject(new TokenRefreshError(text, typeof message.code === 'string' ? message.code : undefined));
    }
    return true;
  }

  /**
   * Connects with `options`; with a provider, first asks it for a token (each connect does, so a
   * reconnect after an expiry gets a fresh one) and sends it in `Authorization: Bearer`.
   */
  async connect(options: ResolvedOptions, connect: (options: ResolvedOptions) => void, failed: (reason: string) => void): Promise<void> {
    if (this.provider === undefined) return connect(options);
    let token: string;
    try {
      token = await this.provider();
      if (typeof token !== 'string' || token === '') throw new TypeError('it resolved without a token string');
    } catch (error) {
      failed(`tokenProvider failed: ${(error as Error)?.message ?? String(error)}`);
      return;
    }
    this.#token = token;
    connect({ ...options, headers: { ...options.headers, Authorization: `Bearer ${token}` } });
  }

  /** A close for an expired token is retried when a provider can give a fresh one. */
  retries(code: number, reason: string): boolean {
    return code === 1008 && reason === 'token expired' && this.provider !== undefined;
  }

  /** The connection opened: a provider's token is renewed before it expires. */
  opened(): void {
    if (this.#token !== undefined) this.#schedule(expiryOf(this.#token));
  }

  /** The socket is gone: waiting refreshes fail, no renewal runs until the next open. */
  lost(code: number, reason: string): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (waiter.settled) continue;
      clearTimeout(waiter.timer);
      waiter.reject(new ConnectionLostError(TOKEN_NAME, code, reason));
    }
  }

  #schedule(expiresAt: number | undefined): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    if (this.provider === undefined || expiresAt === undefined) return;
    const lifetime = expiresAt * 1000 - Date.now();
    const delay = Math.min(Math.max(0, lifetime - Math.min(MAX_LEAD_MS, lifetime * 0.2)), MAX_TIMER_MS);
    this.#renewTimer = setTimeout(() => void this.#renew(expiresAt), delay);
  }

  async #renew(expiresAt: number): Promise<void> {
    this.#renewTimer = undefined;
    try {
      await this.refresh(await this.provider!());
    } catch {
      // Tried again while the current token lasts; past it the server closes and the reconnect fetches one.
      if (this.client.isOpen() && Date.now() + RETRY_MS < expiresAt * 1000) {
        this.#renewTimer = setTimeout(() => void this.#renew(expiresAt), RETRY_MS);
      }
    }
  }
}

/** A JWT's `exp` (seconds), read without verifying anything; undefined for any other token. */
function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const { exp } = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))) as { exp?: unknown };
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
