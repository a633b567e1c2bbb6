// What travels over Redis between the nodes of a cluster, as JSON, and the checks that refuse
// anything else before it reaches the registry. Five shapes, told apart by `type`:
// - a broadcast (`type` absent, as nodes before cluster requests sent it): a `BackplaneMessage`
//   numbered by its origin, with how many of its numbered publishes failed so far;
// - a signal, numbered in the same sequence (both go to every node, so a gap is a loss either way);
// - a request to every node, with an id unique to its origin;
// - an answer, on the asker's own channel, naming the request (`failed`: the answering node could
//   not compute or encode one: the asker stops waiting for it and counts it unanswered);
// - a left notice, the last words of a node that stops.
import type { BackplaneMessage } from '@duet/websocket';

/** @internal A broadcast numbered by its origin node (1, 2, 3… per node, signals included). */
export interface WireBroadcast extends BackplaneMessage {
  readonly type?: 'broadcast';
  readonly seq: number;
  /** Numbered publishes of the origin that failed before this one (its running total); 0 when absent. */
  readonly failed?: number;
}

/** @internal A one-way message to every node, numbered with the origin's broadcasts. */
export interface WireSignal {
  readonly type: 'signal';
  readonly origin: string;
  readonly seq: number;
  readonly failed?: number;
  readonly kind: string;
  readonly body?: unknown;
}

/** @internal A question to every other live node. */
export interface WireRequest {
  readonly type: 'request';
  readonly origin: string;
  /** Unique among the origin's requests. */
  readonly id: number;
  readonly kind: string;
  readonly body?: unknown;
}

/** @internal One node's answer, published on the asker's channel. */
export interface WireAnswer {
  readonly type: 'answer';
  /** The answering node. */
  readonly origin: string;
  /** The asking node. */
  readonly to: string;
  readonly id: number;
  readonly body?: unknown;
  /** Set when the answering node had no answer to give (its `answer()` threw, or the value was not JSON). */
  readonly failed?: true;
}

/** @internal A node that stops says so, so the others need not wait for its count to expire. */
export interface WireLeft {
  readonly type: 'left';
  readonly origin: string;
}

/** @internal Anything a Duet node publishes. */
export type WireMessage = WireBroadcast | WireSignal | WireRequest | WireAnswer | WireLeft;

const OPTIONAL_STRING_ARRAYS = ['rooms', 'except'] as const;

/**
 * @internal The message in `raw`, or `undefined` when it is not one a Duet node published.
 * A broadcast comes back as it was sent (no `type`); every other shape has its `type`.
 */
export function decodeWireMessage(raw: string): WireMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const message = value as Record<string, unknown>;
  if (typeof message.origin !== 'string') return undefined;
  switch (message.type) {
    case undefined:
    case 'broadcast':
      return isBroadcast(message) ? (message as unknown as WireBroadcast) : undefined;
    case 'signal':
      return isNumbered(message) && typeof message.kind === 'string' ? (message as unknown as WireSignal) : undefined;
    case 'request':
      return isRequestId(message.id) && typeof message.kind === 'string' ? (message as unknown as WireRequest) : undefined;
    case 'answer':
      return isRequestId(message.id) && typeof message.to === 'string' && (message.failed === undefined || message.failed === true)
        ? (message as unknown as WireAnswer)
        : undefined;
    case 'left':
      return message as unknown as WireLeft;
    default:
      return undefined;
  }
}

function isNumbered(message: Record<string, unknown>): boolean {
  if (!Number.isSafeInteger(message.seq) || (message.seq as number) < 1) return false;
  return message.failed === undefined || (Number.isSafeInteger(message.failed) && (message.failed as number) >= 0);
}

function isRequestId(id: unknown): boolean {
  return Number.isSafeInteger(id) && (id as number) >= 1;
}

function isBroadcast(message: Record<string, unknown>): boolean {
  if (!isNumbered(message)) return false;
  if (message.servicePath !== undefined && typeof message.servicePath !== 'string') return false;
  if (message.filter !== undefined && typeof message.filter !== 'string') return false;
  for (const field of OPTIONAL_STRING_ARRAYS) {
    const value = message[field];
    if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) return false;
  }
  const hasText = typeof message.text === 'string';
  const hasBinary = typeof message.binary === 'string';
  return hasText !== hasBinary && (hasText ? message.binary : message.text) === undefined;
}
