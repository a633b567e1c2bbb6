// The W3C `traceparent` of the active OpenTelemetry span, read without importing
// `@opentelemetry/api`: the client is one self-contained bundle in browsers and must not depend
// on it. The API keeps what the application registered (its context manager) on a global under
// `Symbol.for('opentelemetry.js.api.<major>')`, and the active span in the active context under
// `Symbol.for('OpenTelemetry Context Key SPAN')`; both keys are part of how separately bundled
// copies of the API find each other, so they are stable across 1.x. Without the API, or without a
// context manager, or outside a span, there is no value and nothing is added.

const API_KEY = Symbol.for('opentelemetry.js.api.1');
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const INVALID_TRACE = '00000000000000000000000000000000';
const INVALID_SPAN = '0000000000000000';

interface SpanContextLike {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

interface ContextLike {
  getValue(key: symbol): unknown;
}

interface RegisteredApi {
  readonly context?: { active(): ContextLike | undefined };
}

/** `00-<trace id>-<span id>-<flags>` of the span active right now, or `undefined`. */
export function activeTraceparent(): string | undefined {
  const api = (globalThis as Record<symbol, RegisteredApi | undefined>)[API_KEY];
  const active = api?.context?.active();
  const span = active?.getValue(SPAN_KEY) as { spanContext?: () => SpanContextLike } | undefined;
  if (typeof span?.spanContext !== 'function') return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId)) return undefined;
  if (traceId === INVALID_TRACE || spanId === INVALID_SPAN) return undefined;
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
