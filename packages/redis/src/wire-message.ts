// What travels on the Redis channel: a `BackplaneMessage` as JSON, plus the sender's sequence
// number and how many of its numbered publishes failed so far. Anything else found on the
// channel is refused here, before it reaches a socket.
import type { BackplaneMessage } from '@duet/websocket';

/** @internal A backplane message numbered by its origin node (1, 2, 3… per node). */
export interface WireMessage extends BackplaneMessage {
  readonly seq: number;
  /** Numbered publishes of the origin that failed before this one (its running total); 0 when absent. */
  readonly failed?: number;
}

const OPTIONAL_STRING_ARRAYS = ['rooms', 'except'] as const;

/** @internal The message in `raw`, or `undefined` when it is not one a Duet node published. */
export function decodeWireMessage(raw: string): WireMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (typeof message.origin !== 'string' || !Number.isSafeInteger(message.seq) || (message.seq as number) < 1) {
    return undefined;
  }
  if (message.failed !== undefined && !(Number.isSafeInteger(message.failed) && (message.failed as number) >= 0)) {
    return undefined;
  }
  if (message.servicePath !== undefined && typeof message.servicePath !== 'string') return undefined;
  if (message.filter !== undefined && typeof message.filter !== 'string') return undefined;
  for (const field of OPTIONAL_STRING_ARRAYS) {
    const value = message[field];
    if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) return undefined;
  }
  const hasText = typeof message.text === 'string';
  const hasBinary = typeof message.binary === 'string';
  if (hasText === hasBinary || (hasText ? message.binary : message.text) !== undefined) return undefined;
  return message as unknown as WireMessage;
}
