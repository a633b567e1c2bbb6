// The shapes of the upgrade heads this process has seen: header names in order, with the
// values most clients send alike (host, upgrade, origin, user agent). A connection's packed
// head (request-head.ts) names its shape and keeps only the values the shape leaves open, so
// ten thousand clients of one kind hold these lines once, not ten thousand times. On JSC a
// per-connection array of references to shared lines costs about what the text does; one
// number in the connection's string costs nothing.
//
// The table only grows, so it is bounded: a client cannot make the process keep more than
// MAX_SHAPES shapes of at most MAX_SHAPE_TEXT characters. Past the bound a head is packed
// whole, as before there were shapes.

/** Values that differ from one request to the next: kept by each connection, never in a shape. */
const OWN_VALUES = new Set([
  'sec-websocket-key',
  'cookie',
  'authorization',
  'proxy-authorization',
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-request-id',
  'traceparent',
  'tracestate',
]);
/** A longer value is kept by its connection: long values are seldom the same twice. */
const MAX_SHARED_VALUE = 256;
const MAX_SHAPES = 256;
const MAX_SHAPE_TEXT = 2048;

export class HeadShape {
  constructor(
    readonly number: number,
    /** Name, then the shared value or undefined when each connection keeps its own, for each header in order. */
    readonly lines: readonly (string | undefined)[],
  ) {}
}

const shapes: HeadShape[] = [];
/** A shape's number by its text: the names, and the shared values or a mark that there is none. */
const numbers = new Map<string, number>();

/** The shape of the headers in `parts` (names and values in turn from `from`), or undefined past the bound. */
export function headShape(parts: readonly string[], from: number): HeadShape | undefined {
  let text = '';
  for (let at = from; at < parts.length; at += 2) {
    const name = parts[at];
    const value = parts[at + 1];
    // No name or value holds a line feed (request-head.ts): '\n\n' cannot be '\n=' and a value.
    text += isOwn(name, value) ? `${name}\n\n` : `${name}\n=${value}\n`;
    if (text.length > MAX_SHAPE_TEXT) return undefined;
  }
  const known = numbers.get(text);
  if (known !== undefined) return shapes[known];
  if (shapes.length === MAX_SHAPES) return undefined;
  const lines: (string | undefined)[] = [];
  for (let at = from; at < parts.length; at += 2) lines.push(parts[at], isOwn(parts[at], parts[at + 1]) ? undefined : parts[at + 1]);
  const shape = new HeadShape(shapes.length, lines);
  shapes.push(shape);
  numbers.set(text, shape.number);
  return shape;
}

export function shapeNumbered(number: number): HeadShape | undefined {
  return shapes[number];
}

function isOwn(name: string, value: string): boolean {
  return value.length > MAX_SHARED_VALUE || OWN_VALUES.has(name);
}
