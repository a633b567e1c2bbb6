// The `compression` option (permessage-deflate, RFC 7692) of a service, of `WebSocketClient`
// and of `@duet/client` on Node: its shape, its defaults and its start-time validation. Off
// unless given; `true` takes every default. Engines read the resolved form (transport/ for the
// server, client/ for the pull client); nothing here knows which engine runs.
import { type FrameData, bytesOf } from './replies';
import { type ConfigErrorFactory, count, describeValue } from './validate';

/** permessage-deflate settings; every field is optional (@duet/contract: the client takes the same). */
export type { CompressionOptions } from '@duet/contract';
import type { CompressionOptions } from '@duet/contract';

/** The `compression` option: `true` for every default, or the settings to change. */
export type Compression = boolean | CompressionOptions;

/** A validated `compression`, every default applied. */
export interface ResolvedCompression {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  /** Undefined when not limited. */
  readonly clientMaxWindowBits: number | undefined;
  readonly concurrencyLimit: number;
}

export const DEFAULT_COMPRESSION_THRESHOLD = 1024;
export const DEFAULT_COMPRESSION_LEVEL = 6;
export const DEFAULT_COMPRESSION_MEM_LEVEL = 8;
export const DEFAULT_COMPRESSION_CONCURRENCY = 10;
/** zlib's largest window; RFC 7692's default for both directions. */
export const MAX_WINDOW_BITS = 15;
/**
 * The smallest window Duet agrees to. RFC 7692 allows 8, but zlib's raw deflate silently
 * compresses with 9 when asked for 8, which would break the promise made to the peer.
 */
export const MIN_WINDOW_BITS = 9;

const FIELDS: ReadonlySet<string> = new Set([
  'threshold',
  'level',
  'memLevel',
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'concurrencyLimit',
]);

/** Validates `compression` (`field` names it in errors); undefined when off. */
export function resolveCompression(error: ConfigErrorFactory, field: string, value: unknown): ResolvedCompression | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) value = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw error(field, `must be true, false or an object of permessage-deflate settings, got ${describeValue(value)}`);
  }
  const options = value as Record<string, unknown>;
  for (const name of Object.keys(options)) {
    if (!FIELDS.has(name)) throw error(`${field}.${name}`, `is not a compression setting (${[...FIELDS].join(', ')})`);
  }
  return Object.freeze({
    // 0 compresses every message.
    threshold: count(error, `${field}.threshold`, options.threshold, DEFAULT_COMPRESSION_THRESHOLD, 0),
    level: count(error, `${field}.level`, options.level, DEFAULT_COMPRESSION_LEVEL, 1, 9),
    memLevel: count(error, `${field}.memLevel`, options.memLevel, DEFAULT_COMPRESSION_MEM_LEVEL, 1, 9),
    serverNoContextTakeover: flag(error, `${field}.serverNoContextTakeover`, options.serverNoContextTakeover),
    clientNoContextTakeover: flag(error, `${field}.clientNoContextTakeover`, options.clientNoContextTakeover),
    serverMaxWindowBits: count(error, `${field}.serverMaxWindowBits`, options.serverMaxWindowBits, MAX_WINDOW_BITS, MIN_WINDOW_BITS, MAX_WINDOW_BITS),
    clientMaxWindowBits:
      options.clientMaxWindowBits === undefined
        ? undefined
        : count(error, `${field}.clientMaxWindowBits`, options.clientMaxWindowBits, MAX_WINDOW_BITS, MIN_WINDOW_BITS, MAX_WINDOW_BITS),
    concurrencyLimit: count(error, `${field}.concurrencyLimit`, options.concurrencyLimit, DEFAULT_COMPRESSION_CONCURRENCY),
  });
}

function flag(error: ConfigErrorFactory, field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw error(field, `must be true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * Whether a message of `byteLength` bytes is compressed under `threshold`. For a string,
 * `length` UTF-16 units give bounds on its UTF-8 size (at least `length`, at most 3×), so most
 * never need counting.
 */
export function compressesText(text: string, threshold: number): boolean {
  const units = text.length;
  if (units >= threshold) return true;
  if (units * 3 < threshold) return false;
  return Buffer.byteLength(text) >= threshold;
}

const PLAIN_TEXT = { binary: false, compress: false } as const;
const PLAIN_BINARY = { binary: true, compress: false } as const;
const COMPRESSED_TEXT = { binary: false, compress: true } as const;
const COMPRESSED_BINARY = { binary: true, compress: true } as const;

/**
 * The options of a ws `send` on a socket that agreed permessage-deflate: compressed from the
 * threshold on, never below it (ws 8.23 compresses everything unless no context takeover was
 * agreed). Shared, frozen objects: nothing is made per message.
 */
export function deflateSendOptions(data: FrameData, threshold: number): { readonly binary: boolean; readonly compress: boolean } {
  if (typeof data === 'string') return compressesText(data, threshold) ? COMPRESSED_TEXT : PLAIN_TEXT;
  return bytesOf(data).length >= threshold ? COMPRESSED_BINARY : PLAIN_BINARY;
}
