// What a connection keeps of its upgrade request's head, as one string, for as long as it
// lives: the peer's address, whether it came over TLS, the target and (unless someone read
// them by then) the headers. Objects and strings of their own cost a connection several times
// what the same text costs in one string, and most services never read them after the
// handshake. Only what an engine made for this request alone is packed (Bun's, built from the
// fetch Request), and headers only when the object can be made again exactly: every value a
// string, no name or value holding a line feed (HTTP allows none in a request head).
//
// Most clients of a service send the same header names and most of the same values: those are
// kept once for the process, as a shape (head-shapes.ts), and a connection's string holds the
// shape's number and only what its own head says apart from it (its key, its cookies).
import type { IncomingHttpHeaders } from 'node:http';
import { type HeadShape, headShape, shapeNumbered } from './head-shapes';

const SEPARATOR = '\n';
/** The flags that open a packed head: over TLS, and whether a peer address follows; a shape's number may end them. */
const SECURE = 's';
const HAS_ADDRESS = 'a';
/** Where the headers start: flags, address, target, then name and value pairs (or, with a shape, its own values). */
const HEADERS_AT = 3;

/** A packed head, or undefined when `headers` (given) cannot be made again from a string. */
export function packHead(
  secure: boolean,
  remoteAddress: string | undefined,
  url: string,
  headers: IncomingHttpHeaders | undefined,
): string | undefined {
  if (url.includes(SEPARATOR) || remoteAddress?.includes(SEPARATOR) === true) return undefined;
  let flags = (secure ? SECURE : '') + (remoteAddress === undefined ? '' : HAS_ADDRESS);
  const parts = [flags, remoteAddress ?? '', url];
  if (headers !== undefined) {
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (typeof value !== 'string' || name === '__proto__' || name.includes(SEPARATOR) || value.includes(SEPARATOR)) return undefined;
      parts.push(name, value);
    }
    const shape = headShape(parts, HEADERS_AT);
    if (shape !== undefined) {
      flags += shape.number;
      const own = [flags, parts[1], url];
      const { lines } = shape;
      for (let at = 1; at < lines.length; at += 2) if (lines[at] === undefined) own.push(parts[HEADERS_AT + at]);
      return own.join(SEPARATOR);
    }
  }
  return parts.join(SEPARATOR);
}

export function packedSecure(head: string): boolean {
  return head.startsWith(SECURE);
}

export function packedAddress(head: string): string | undefined {
  const flagsEnd = head.indexOf(SEPARATOR);
  if (!head.slice(0, flagsEnd).includes(HAS_ADDRESS)) return undefined;
  return head.slice(flagsEnd + 1, head.indexOf(SEPARATOR, flagsEnd + 1));
}

export function packedUrl(head: string): string {
  const targetAt = head.indexOf(SEPARATOR, head.indexOf(SEPARATOR) + 1) + 1;
  const targetEnd = head.indexOf(SEPARATOR, targetAt);
  return targetEnd === -1 ? head.slice(targetAt) : head.slice(targetAt, targetEnd);
}

/** The headers object a head was packed from: the same names and values, in the same order. */
export function packedHeaders(head: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  const parts = head.split(SEPARATOR);
  const shape = shapeOf(parts[0]);
  if (shape === undefined) {
    for (let at = HEADERS_AT; at < parts.length; at += 2) headers[parts[at]] = parts[at + 1];
    return headers;
  }
  let own = HEADERS_AT;
  const { lines } = shape;
  for (let at = 0; at < lines.length; at += 2) headers[lines[at] as string] = lines[at + 1] ?? parts[own++];
  return headers;
}

/** The shape a head's flags name, if any: the digits after its letters. */
function shapeOf(flags: string): HeadShape | undefined {
  let digitsAt = 0;
  while (digitsAt < flags.length && (flags[digitsAt] === SECURE || flags[digitsAt] === HAS_ADDRESS)) digitsAt++;
  return digitsAt === flags.length ? undefined : shapeNumbered(Number(flags.slice(digitsAt)));
}
