// The wire format both ends speak (docs/client.md): flat JSON objects named by the dispatcher key,
// requests and their replies matched by the correlation key.

/** The dispatcher value of Duet's error reply: `{ type: 'error', message, issues, id? }`. */
export const ERROR_TYPE = 'error';

/** Dispatcher values starting with this are protocol messages (keep-alives), never events. */
export const RESERVED_PREFIX = '$';

/** The keys a contract puts on the wire. */
export interface WireKeys {
  readonly dispatcherKey: string;
  readonly correlationKey: string;
}

/**
 * `{ [dispatcherKey]: name, [correlationKey]: id, ...fields }`: the keys first, and a field of the
 * same name as a key never overrides it. Returns undefined when `fields` is not a plain object.
 */
export function encodeMessage(keys: WireKeys, name: string, fields: unknown, id?: number): Record<string, unknown> | undefined {
  if (fields !== undefined && !isPlainObject(fields)) return undefined;
  const message: Record<string, unknown> = { [keys.dispatcherKey]: name };
  if (id !== undefined) message[keys.correlationKey] = id;
  if (fields !== undefined) {
    for (const field of Object.keys(fields)) {
      if (field !== keys.dispatcherKey && field !== keys.correlationKey) message[field] = fields[field];
    }
  }
  return message;
}

/**
 * A reply's value: the object without its correlation key, or `data` when the reply is the
 * `{ id, data }` wrapping of a value that is not an object.
 */
export function replyValue(keys: WireKeys, reply: Record<string, unknown>): unknown {
  const fields = Object.keys(reply);
  if (fields.length === 2 && Object.hasOwn(reply, 'data') && Object.hasOwn(reply, keys.correlationKey)) return reply.data;
  const value: Record<string, unknown> = {};
  for (const field of fields) if (field !== keys.correlationKey) value[field] = reply[field];
  return value;
}

/** True for a protocol message such as a keep-alive (`{ type: '$ping' }`): not an event. */
export function isProtocolMessage(keys: WireKeys, message: Record<string, unknown>): boolean {
  const name = message[keys.dispatcherKey];
  return typeof name === 'string' && name.startsWith(RESERVED_PREFIX);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
