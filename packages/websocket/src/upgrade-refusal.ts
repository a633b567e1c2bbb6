// Answers an upgrade request with an HTTP error instead of a handshake: what the answer holds
// (`refusalOf`, for every engine) and how it is written on a raw node:http socket.
import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import type { Duplex } from 'node:stream';

/** An HTTP error answer to an upgrade, ready to send. */
export interface Refusal {
  readonly status: number;
  readonly statusText: string;
  /** The plain-text body, newline-terminated. */
  readonly text: string;
  /** Every header, ours first (`Connection: close`, the content type), then the caller's safe ones. */
  readonly headers: readonly (readonly [string, string])[];
}

/**
 * The answer for `status` with a plain-text body and `headers`. A status outside 400-599 is
 * answered 500. Header names or values that would break the response are left out, and so
 * are `Connection`, `Content-Length` and `Transfer-Encoding`, which this answer sets itself.
 */
export function refusalOf(
  status: number,
  body: string = STATUS_CODES[status] ?? 'Error',
  headers: Readonly<Record<string, string>> = {},
): Refusal {
  const safeStatus = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
  const lines: [string, string][] = [
    ['Connection', 'close'],
    ['Content-Type', 'text/plain; charset=utf-8'],
  ];
  for (const [name, value] of Object.entries(headers)) {
    // The framing is ours: a second Content-Length or Connection would make the answer ambiguous.
    if (isSafeHeader(name, value) && !FRAMING_HEADERS.has(name.toLowerCase())) lines.push([name, value]);
  }
  return { status: safeStatus, statusText: STATUS_CODES[safeStatus] ?? 'Error', text: `${body}\n`, headers: lines };
}

/** Writes the refusal on the raw socket of a node:http upgrade, then closes it once flushed. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  body?: string,
  headers?: Readonly<Record<string, string>>,
): void {
  if (socket.destroyed) return;
  const refusal = refusalOf(status, body, headers);
  const lines = [`HTTP/1.1 ${refusal.status} ${refusal.statusText}`, `Content-Length: ${Buffer.byteLength(refusal.text)}`];
  for (const [name, value] of refusal.headers) lines.push(`${name}: ${value}`);
  socket.on('error', ignore); // the peer may already be gone; there is no one left to tell
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${refusal.text}`);
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
