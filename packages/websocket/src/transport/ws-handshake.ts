// The end of a handshake on ws without compression: the 101 response and the ws socket, made
// here rather than by `WebSocketServer.handleUpgrade`. By the time a service accepts, the
// request has passed Duet's own checks (handshake-check.ts: method, Upgrade, key, version,
// sub-protocol list) and its sub-protocol is chosen by the service, so ws's second pass over
// the same headers, its error listener added and removed again, its 'headers' event and its
// streaming SHA-1 (a native Hash object per handshake, with a V8 global handle of its own)
// are work every handshake paid twice or for nothing. What ws does with the socket after the
// 101 is left to ws (`setSocket`, with the options its server resolved).
import * as crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type WebSocketServer } from 'ws';

/** RFC 6455 §1.3: the GUID the client's key is hashed with. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// One-shot hashing (Node ≥ 20.12, Bun); a runtime without it hashes as ws does.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`. */
export function acceptKeyFor(key: string): string {
  if (oneShotHash !== undefined) return oneShotHash('sha1', key + GUID, 'base64');
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

/** What ws's server resolved from its options (defaults filled in), as `setSocket` takes them. */
interface ResolvedWsOptions {
  /** ws's socket class; `null` as the address makes a server-side socket. */
  readonly WebSocket: new (address: null, protocols: undefined, options: object) => WebSocket;
  readonly allowSynchronousEvents: boolean;
  readonly maxBufferedChunks: number;
  readonly maxFragments: number;
  readonly maxPayload: number;
  readonly skipUTF8Validation: boolean;
}

/** The parts of a server-side ws socket this file sets, which @types/ws does not declare. */
interface UnattachedWebSocket extends WebSocket {
  _protocol: string;
  setSocket(socket: Duplex, head: Buffer, options: Omit<ResolvedWsOptions, 'WebSocket'>): void;
}

/** Completes the handshakes of one ws server (in noServer mode, without permessage-deflate). */
export class WsHandshake {
  private readonly options: ResolvedWsOptions;
  private readonly socketOptions: Omit<ResolvedWsOptions, 'WebSocket'>;

  constructor(
    server: WebSocketServer,
    private readonly selectSubProtocol: (offered: ReadonlySet<string>) => string | false,
  ) {
    this.options = (server as unknown as { options: ResolvedWsOptions }).options;
    const { allowSynchronousEvents, maxBufferedChunks, maxFragments, maxPayload, skipUTF8Validation } = this.options;
    this.socketOptions = { allowSynchronousEvents, maxBufferedChunks, maxFragments, maxPayload, skipUTF8Validation };
  }

  /**
   * Writes the 101 (with the chosen sub-protocol and `extraHeaders`) and hands the socket to
   * ws; undefined, the socket destroyed, when the client has already half-closed it (as ws does).
   */
  complete(
    request: IncomingMessage,
    stream: Duplex,
    head: Buffer,
    extraHeaders: Readonly<Record<string, string>> | undefined,
  ): WebSocket | undefined {
    if (!stream.readable || !stream.writable) {
      stream.destroy();
      return undefined;
    }
    const headers = request.headers;
    const ws = new this.options.WebSocket(null, undefined, this.options) as UnattachedWebSocket;
    let response = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(headers['sec-websocket-key']!)}\r\n`;
    const offered = headers['sec-websocket-protocol'];
    if (offered !== undefined) {
      const protocol = this.selectSubProtocol(new Set(offered.split(',').map(trim)));
      if (protocol !== false) {
        response += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
        ws._protocol = protocol;
      }
    }
    if (extraHeaders !== undefined) {
      for (const name of Object.keys(extraHeaders)) response += `${name}: ${extraHeaders[name]}\r\n`;
    }
    stream.write(`${response}\r\n`);
    ws.setSocket(stream, head, this.socketOptions);
    return ws;
  }
}

function trim(name: string): string {
  return name.trim();
}
