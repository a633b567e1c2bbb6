// The headers of an upgrade request as one string, for as long as its connection lives: an
// object of strings costs a connection several times what the same text costs in one string,
// and most services never read the headers again after the handshake. Only an engine's own
// headers object (made for this request, held by no one else) is packed, and only when it can
// be made again exactly: every value a string, and no name or value holding the separator
// (HTTP allows no line feed in a header).
import type { IncomingHttpHeaders } from 'node:http';

const SEPARATOR = '\n';

/** `headers` as one string (`name\nvalue\n…`), or the object itself when it cannot be. */
export function packHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders | string {
  const parts: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (typeof value !== 'string' || name === '__proto__' || name.includes(SEPARATOR) || value.includes(SEPARATOR)) return headers;
    parts.push(name, value);
  }
  return parts.join(SEPARATOR);
}

/** The headers object `packHeaders` made `packed` from: the same names and values, in the same order. */
export function unpackHeaders(packed: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  if (packed === '') return headers;
  const parts = packed.split(SEPARATOR);
  for (let at = 0; at < parts.length; at += 2) headers[parts[at]] = parts[at + 1];
  return headers;
}
