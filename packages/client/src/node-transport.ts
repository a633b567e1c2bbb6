// The transport on Node: `ws`, because Node's global WebSocket can neither send headers nor take
// TLS options nor tell the HTTP status of a refused upgrade.
import WebSocket from 'ws';
import type { CompressionOptions } from './options';
import { type TransportFactory, webSocketTransport } from './transport';

const DEFAULT_THRESHOLD = 1024;
const PLAIN = { compress: false } as const;
const COMPRESSED = { compress: true } as const;

export const nodeTransport: TransportFactory = (url, options, events) => {
  if (options.WebSocket !== undefined) return webSocketTransport(url, options, events);
  const { compression } = options;
  const socket = new WebSocket(url, options.protocols, { ...options.tls, headers: options.headers, perMessageDeflate: offeredDeflate(compression) });
  const threshold = compression?.threshold ?? DEFAULT_THRESHOLD;
  let status: number | undefined;
  socket.on('open', () => events.open());
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    events.message(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString());
  });
  socket.on('unexpected-response', (request, response) => {
    status = response.statusCode;
    response.resume();
    socket.terminate();
  });
  socket.on('error', () => {}); // a close follows every error
  socket.once('close', (code: number, reason: Buffer) => events.close(code, reason.toString(), status));
  return {
    // ws 8.23 would compress every message unless no context takeover was agreed: the threshold is applied here.
    send: compression === undefined ? (text) => socket.send(text) : (text) => socket.send(text, compresses(text, threshold) ? COMPRESSED : PLAIN),
    close: (code, reason) => socket.close(code, reason),
    abort() {
      socket.removeAllListeners('close');
      socket.removeAllListeners('message');
      socket.terminate();
    },
  };
};

/** Whether `text` reaches `threshold` bytes of UTF-8: its length bounds them (1 to 3 bytes a unit), so most are never counted. */
function compresses(text: string, threshold: number): boolean {
  if (text.length >= threshold) return true;
  if (text.length * 3 < threshold) return false;
  return Buffer.byteLength(text) >= threshold;
}

/**
 * ws's offer for `compression`; false (no offer) when off. `clientNoContextTakeover` is never
 * false: to ws that would refuse a server asking for it, which RFC 7692 lets a server do.
 */
function offeredDeflate(compression: Readonly<CompressionOptions> | undefined): false | WebSocket.PerMessageDeflateOptions {
  if (compression === undefined) return false;
  return {
    threshold: compression.threshold ?? DEFAULT_THRESHOLD,
    concurrencyLimit: compression.concurrencyLimit,
    zlibDeflateOptions: { level: compression.level ?? 6, memLevel: compression.memLevel ?? 8 },
    serverNoContextTakeover: compression.serverNoContextTakeover,
    clientNoContextTakeover: compression.clientNoContextTakeover || undefined,
    serverMaxWindowBits: compression.serverMaxWindowBits,
    clientMaxWindowBits: compression.clientMaxWindowBits,
  };
}
