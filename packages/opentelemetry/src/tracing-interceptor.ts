// `TracingInterceptor`: a span per handler call, named `<Service>.<method>`, made the active
// context while the handler runs so that spans the handler starts (and logs that read the active
// span) nest under it. A typed message with a valid `traceparent` field continues that trace.
import { inject, injectable } from 'inversify';
import { type Span, type SpanContext, SpanKind, SpanStatusCode, type Tracer, context, trace } from '@opentelemetry/api';
import type { Caller, HandlerContext, Interceptor } from '@duet/websocket';
import { parseTraceparent } from './traceparent';

/** What `TracingInterceptor` needs: the tracer, and the message field that carries a `traceparent`. */
export interface TracingSettings {
  readonly tracer: Tracer;
  /** The typed-message field read for a `traceparent`; `undefined` reads none. */
  readonly traceparentField: string | undefined;
  /** Each connection's upgrade span, which its handler spans link to. */
  readonly upgrades: WeakMap<Caller, SpanContext>;
}

/** The container token for the `TracingSettings` that `openTelemetryModule` binds. */
export const TRACING_SETTINGS = Symbol.for('@duet/opentelemetry:settings');

@injectable()
export class TracingInterceptor implements Interceptor {
  constructor(@inject(TRACING_SETTINGS) private readonly settings: TracingSettings) {}

  intercept(handler: HandlerContext, next: () => Promise<unknown>): Promise<unknown> {
    const { caller } = handler;
    const parent = this.parentContext(handler);
    const upgrade = this.settings.upgrades.get(caller);
    const span = this.settings.tracer.startSpan(
      `${handler.service.name}.${handler.method}`,
      {
        kind: SpanKind.SERVER,
        links: upgrade === undefined ? undefined : [{ context: upgrade }],
        attributes: {
          'websocket.event': handler.event,
          'duet.connection.id': caller.getConnectionId(),
          ...(handler.messageType === undefined ? {} : { 'duet.message.type': handler.messageType }),
          ...(caller.request.remoteAddress === undefined
            ? {}
            : { 'network.peer.address': caller.request.remoteAddress }),
        },
      },
      parent,
    );
    const done = context.with(trace.setSpan(parent, span), next);
    // The span ends on a branch of its own: handing back `next()`'s very promise keeps a handler
    // that returned a plain value on the connection's synchronous path (interceptor.ts).
    done.then(
      () => span.end(),
      (error: unknown) => {
        fail(span, error);
        span.end();
      },
    );
    return done;
  }

  /**
   * The active context, or a remote parent from the message's `traceparent` field, read from the
   * message as it arrived: a schema that strips unknown fields does not lose it.
   */
  private parentContext(handler: HandlerContext) {
    const active = context.active();
    const field = this.settings.traceparentField;
    if (field === undefined || handler.messageType === undefined) return active;
    const message = handler.decoded;
    if (typeof message !== 'object' || message === null) return active;
    const remote = parseTraceparent((message as Record<string, unknown>)[field]);
    return remote === undefined ? active : trace.setSpanContext(active, remote);
  }
}

function fail(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.recordException(String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }
}
