// `UpgradeRequest`: what a service, an authenticator or `@OnUpgrade` sees of the HTTP upgrade
// request. Query and cookies are parsed only when read; the object stays reachable from the
// connection's Caller as `caller.request`.
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import { UpgradeAbandonedError } from './errors';
import type { PathParams } from './path-matcher';
import type { PeerSocket, UpgradeSource } from './transport/transport';

/** Who is connecting, as an authenticator accepted them. */
export interface Principal {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * When the credentials stop being valid (a JWT's `exp` plus `clockTolerance`): the connection
   * closes with 1008 `token expired` then, unless the client refreshed its token (service
   * option `tokenExpiry`). Absent: the principal does not expire.
   */
  readonly expiresAt?: Date;
}

export class UpgradeRequest {
  /** Set once authentication has accepted the request. */
  principal: Principal | undefined;
  private parsedQuery: URLSearchParams | undefined;
  private parsedCookies: Readonly<Record<string, string>> | undefined;
  // Made on first use: a handshake without checks never needs one.
  private abandonment: AbortController | undefined;

  /** The HTTP method (always `GET` for a valid upgrade). */
  readonly method: string;
  /** The request target as sent: path and query. */
  readonly url: string;
  /** The request headers, lower-case names. */
  readonly headers: IncomingHttpHeaders;
  // The request itself is not kept: a live connection holds only what is read from here.
  private readonly socket: PeerSocket;

  /** @internal Built by the listener for each upgrade, from what its engine received. */
  constructor(
    message: UpgradeSource,
    /** Path parameters (`/chat/:room` → `{ room }`). */
    readonly params: PathParams,
  ) {
    this.method = message.method ?? 'GET';
    this.url = message.url ?? '/';
    this.headers = message.headers;
    this.socket = message.socket;
  }

  /**
   * @internal This request as a token refresh is verified: the same peer, path and headers, but
   * `Authorization: Bearer <token>` and no cookies, so only the new token can be what is accepted.
   */
  withBearerToken(token: string): UpgradeRequest {
    const { cookie: _cookie, ...headers } = this.headers;
    const source = { method: this.method, url: this.url, headers: { ...headers, authorization: `Bearer ${token}` }, socket: this.socket };
    return new UpgradeRequest(source, this.params);
  }

  /** The path without the query string. */
  get path(): string {
    const url = this.url;
    const queryAt = url.indexOf('?');
    return queryAt === -1 ? url : url.slice(0, queryAt);
  }

  /** The query string, parsed. */
  get query(): URLSearchParams {
    if (this.parsedQuery === undefined) {
      const url = this.url;
      const queryAt = url.indexOf('?');
      this.parsedQuery = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    }
    return this.parsedQuery;
  }

  /**
   * Cookies of the `Cookie` header, name → value (decoded), in an object without a prototype:
   * a cookie may be named `constructor` or `__proto__` and is read like any other.
   */
  get cookies(): Readonly<Record<string, string>> {
    this.parsedCookies ??= parseCookies(this.headers.cookie);
    return this.parsedCookies;
  }

  /**
   * Aborted once the upgrade no longer waits for its checks: it was answered (refused, or
   * timed out after the listener's `handshakeTimeout`) or the client left. A long check
   * (a database lookup, a password hash) can stop there: its result would be ignored.
   *
   * @example
   * ```ts
   * async authenticate(request: UpgradeRequest) {
   *   const user = await db.findByKey(request.headers['x-api-key'], { signal: request.signal });
   *   …
   * }
   * ```
   */
  get signal(): AbortSignal {
    this.abandonment ??= new AbortController();
    return this.abandonment.signal;
  }

  /** @internal The upgrade was answered or its client left: whatever still checks it may stop. */
  abandon(reason: string): void {
    this.abandonment ??= new AbortController();
    if (!this.abandonment.signal.aborted) this.abandonment.abort(new UpgradeAbandonedError(reason));
  }

  /** The peer's IP address. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** True on a TLS listener. */
  get secure(): boolean {
    return this.socket.encrypted === true;
  }

  /** The client certificate of a mutual-TLS connection, when the client presented one. */
  get clientCertificate(): PeerCertificate | undefined {
    if (!this.secure) return undefined;
    const certificate = this.socket.getPeerCertificate?.();
    return certificate && Object.keys(certificate).length > 0 ? (certificate as PeerCertificate) : undefined;
  }
}

function parseCookies(header: string | undefined): Readonly<Record<string, string>> {
  // No prototype: `toString` or `__proto__` are cookie names here, not Object's members.
  const cookies = Object.create(null) as Record<string, string>;
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at === -1) continue;
    const name = pair.slice(0, at).trim();
    // The first of two cookies with one name wins (RFC 6265 §5.4 sends the most specific first).
    if (name === '' || Object.hasOwn(cookies, name)) continue;
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}
