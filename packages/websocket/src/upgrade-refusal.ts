// Answers an upgrade request with an HTTP error instead of a handshake, then ends the socket.
import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Writes `status` with a plain-text body and `headers`, then closes the socket once the
 * answer is flushed. Header names or values that would break the response are left out, and
 * so are `Connection`, `Content-Length` and `Transfer-Encoding`, which this answer sets itself.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  body: string = STATUS_CODES[status] ?? 'Error',
  headers: Readonly<Record<string, string>> = {},
): void {
  if (socket.destroyed) return;
  const safeStatus = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
  const text = `${body}\n`;
  const lines = [
    `HTTP/1.1 ${safeStatus} ${STATUS_CODES[safeStatus] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
  ];
  for (const [name, value] of Object.entries(headers)) {
    // The framing is ours: a second Content-Length or Connection would make the answer ambiguous.
    if (isSafeHeader(name, value) && !FRAMING_HEADERS.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  }
  socket.on('error', ignore); // the peer may already be gone; there is no one left to tell
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

const FRAMING_HEADERS: ReadonlySet<string> = new Set(['connection', 'content-length', 'transfer-encoding']);

/** Whether a header may be written as it is (no CR/LF injection, a valid token name). */
export function isSafeHeader(name: string, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

function ignore(): void {}
