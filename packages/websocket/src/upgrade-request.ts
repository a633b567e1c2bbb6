// `UpgradeRequest`: what a service, an authenticator or `@OnUpgrade` sees of the HTTP upgrade
// request. Query and cookies are parsed only when read; the object stays reachable from the
// connection's Caller as `caller.request`, for as long as the connection lives: headers that
// no one read by the handshake are then kept as one string (request-head.ts), and made into
// the object again on the first read. On Bun the peer address and target are packed with them.
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import { UpgradeAbandonedError } from './errors';
import { NO_PARAMS, type PathParams } from './path-matcher';
import { packHead, packedAddress, packedHeaders, packedSecure, packedUrl } from './request-head';
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

/** What few requests use, made at the first use: most connections never need it. */
interface RequestExtras {
  query: URLSearchParams | undefined;
  cookies: Readonly<Record<string, string>> | undefined;
  // A handshake without checks never needs one.
  abandonment: AbortController | undefined;
}

export class UpgradeRequest {
  /** Set once authentication has accepted the request. */
  principal: Principal | undefined;
  private extras: RequestExtras | undefined;

  /** The HTTP method (always `GET` for a valid upgrade). */
  readonly method: string;
  /** The target, until the head is packed. */
  private target: string | undefined;
  /** The headers as received, until read or packed. */
  private unread: IncomingHttpHeaders | undefined;
  /** The headers object, once read: from then on always this one. */
  private readHeaders: IncomingHttpHeaders | undefined;
  // The request itself is not kept: a live connection holds only what is read from here, and
  // once the connection is made, possibly only its head packed in one string (request-head.ts).
  private peer: PeerSocket | string;

  /** @internal Built by the listener for each upgrade, from what its engine received. */
  constructor(
    message: UpgradeSource,
    /** Path parameters (`/chat/:room` → `{ room }`). */
    readonly params: PathParams,
  ) {
    this.method = message.method ?? 'GET';
    this.target = message.url ?? '/';
    this.unread = message.headers;
    this.peer = message.socket;
  }

  /** The request target as sent: path and query. */
  get url(): string {
    const peer = this.peer;
    return typeof peer === 'string' ? packedUrl(peer) : this.target!;
  }

  /** The request headers, lower-case names. */
  get headers(): IncomingHttpHeaders {
    if (this.readHeaders === undefined) {
      const peer = this.peer;
      this.readHeaders = this.unread ?? packedHeaders(peer as string);
      this.unread = undefined;
    }
    return this.readHeaders;
  }

  /**
   * @internal The handshake is made, and the connection keeps this request as long as it lives:
   * what an engine made for this request alone (`ownHeaders`) is packed in one string, the
   * headers too unless someone read them. What can be read stays the same. Returns what the
   * connection keeps: this request or, when no one else can hold it yet (`unseen`: no check
   * or hook was given it) and it holds nothing but that string, the string alone, which
   * `fromHead` makes into an equal request at the first read.
   */
  connectionMade(source: UpgradeSource, unseen: boolean): UpgradeRequest | string {
    const peer = this.peer;
    if (source.ownHeaders !== true || typeof peer === 'string' || peer.getPeerCertificate !== undefined) return this;
    const head = packHead(peer.encrypted === true, peer.remoteAddress, this.target!, this.unread);
    if (head === undefined) return this;
    this.peer = head;
    this.target = this.unread = undefined;
    const headOnly = this.readHeaders === undefined && this.principal === undefined && this.extras === undefined;
    return unseen && headOnly && this.params === NO_PARAMS && this.method === 'GET' ? head : this;
  }

  /** @internal A request equal to the one whose `connectionMade` returned `head`. */
  static fromHead(head: string): UpgradeRequest {
    const request = new UpgradeRequest(HEAD_ONLY, NO_PARAMS);
    request.peer = head;
    request.target = request.unread = undefined;
    return request;
  }

  private get extra(): RequestExtras {
    return (this.extras ??= { query: undefined, cookies: undefined, abandonment: undefined });
  }

  /**
   * @internal This request as a token refresh is verified: the same peer, path and headers, but
   * `Authorization: Bearer <token>` and no cookies, so only the new token can be what is accepted.
   */
  withBearerToken(token: string): UpgradeRequest {
    const { cookie: _cookie, ...headers } = this.headers;
    const peer = this.peer;
    const socket = typeof peer === 'string' ? { remoteAddress: packedAddress(peer), encrypted: packedSecure(peer) } : peer;
    const source = { method: this.method, url: this.url, headers: { ...headers, authorization: `Bearer ${token}` }, socket };
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
    const extra = this.extra;
    if (extra.query === undefined) {
      const url = this.url;
      const queryAt = url.indexOf('?');
      extra.query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    }
    return extra.query;
  }

  /**
   * Cookies of the `Cookie` header, name → value (decoded), in an object without a prototype:
   * a cookie may be named `constructor` or `__proto__` and is read like any other.
   */
  get cookies(): Readonly<Record<string, string>> {
    const extra = this.extra;
    extra.cookies ??= parseCookies(this.headers.cookie);
    return extra.cookies;
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
    const extra = this.extra;
    extra.abandonment ??= new AbortController();
    return extra.abandonment.signal;
  }

  /** @internal The upgrade was answered or its client left: whatever still checks it may stop. */
  abandon(reason: string): void {
    const extra = this.extra;
    extra.abandonment ??= new AbortController();
    if (!extra.abandonment.signal.aborted) extra.abandonment.abort(new UpgradeAbandonedError(reason));
  }

  /** The peer's IP address. */
  get remoteAddress(): string | undefined {
    const peer = this.peer;
    return typeof peer === 'string' ? packedAddress(peer) : peer.remoteAddress;
  }

  /** True on a TLS listener. */
  get secure(): boolean {
    const peer = this.peer;
    return typeof peer === 'string' ? packedSecure(peer) : peer.encrypted === true;
  }

  /** The client certificate of a mutual-TLS connection, when the client presented one. */
  get clientCertificate(): PeerCertificate | undefined {
    if (!this.secure) return undefined;
    const peer = this.peer;
    if (typeof peer === 'string') return undefined;
    const certificate = peer.getPeerCertificate?.();
    return certificate && Object.keys(certificate).length > 0 ? (certificate as PeerCertificate) : undefined;
  }
}

/** What `fromHead` starts from: everything is read from the head. */
const HEAD_ONLY: UpgradeSource = { method: 'GET', headers: {}, socket: {} };

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
