// What `ws` would refuse in an upgrade request, found before any service code runs (origin,
// authentication, `@OnUpgrade`): a request that cannot become a WebSocket costs no check and
// no hook. The answers are ws's own, except an unknown version: 426 with the versions
// accepted, as RFC 6455 §4.2.2 asks. The versions depend on the engine: ws also speaks the
// hybi-08 draft, Bun's native server only RFC 6455.
import type { UpgradeSource } from './transport/transport';

/** WebSocket protocol versions an engine accepts, and the `Sec-WebSocket-Version` that lists them. */
export interface ProtocolVersions {
  readonly accepted: ReadonlySet<string>;
  readonly header: Readonly<Record<string, string>>;
}

/** ws: RFC 6455 (13) and the hybi-08 draft (8). */
export const WS_VERSIONS: ProtocolVersions = { accepted: new Set(['13', '8']), header: { 'Sec-WebSocket-Version': '13, 8' } };

/** Bun's native server: RFC 6455 only. */
export const BUN_VERSIONS: ProtocolVersions = { accepted: new Set(['13']), header: { 'Sec-WebSocket-Version': '13' } };

export interface HandshakeRefusal {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

// 16 random bytes in base64 (RFC 6455 §4.1), as ws checks it.
const KEY = /^[+/0-9A-Za-z]{22}==$/;
// A comma-separated list of RFC 7230 tokens, as ws parses Sec-WebSocket-Protocol.
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

/** Why `request` cannot be a WebSocket handshake, or `undefined` when it can. */
export function handshakeRefusal(
  request: Pick<UpgradeSource, 'method' | 'headers'>,
  versions: ProtocolVersions,
): HandshakeRefusal | undefined {
  const { headers } = request;
  if (request.method !== 'GET') return { status: 405, body: 'Invalid HTTP method', headers: { Allow: 'GET' } };
  if (headers.upgrade?.toLowerCase() !== 'websocket') return { status: 400, body: 'Invalid Upgrade header' };
  const key = headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return { status: 400, body: 'Missing or invalid Sec-WebSocket-Key header' };
  const version = headers['sec-websocket-version'];
  if (version === undefined) return { status: 400, body: 'Missing Sec-WebSocket-Version header', headers: versions.header };
  if (!versions.accepted.has(version)) return { status: 426, body: 'Unsupported WebSocket version', headers: versions.header };
  const protocols = headers['sec-websocket-protocol'];
  if (protocols !== undefined && !isDistinctTokenList(protocols)) {
    return { status: 400, body: 'Invalid Sec-WebSocket-Protocol header' };
  }
  return undefined;
}

function isDistinctTokenList(value: string): boolean {
  if (!TOKEN_LIST.test(value)) return false;
  const names = value.split(',').map((name) => name.trim());
  return new Set(names).size === names.length;
}
