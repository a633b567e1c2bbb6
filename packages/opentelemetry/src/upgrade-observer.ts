// `UpgradeObserver`: a span per upgrade request, `WS upgrade <path>`, with the HTTP status it was
// answered with, whether it was refused, and the request's `traceparent` header as its parent.
// An accepted upgrade's span context is kept per connection for the handler spans to link to.
import { type Attributes, type Context, type SpanContext, SpanKind, SpanStatusCode, type Tracer, context, trace } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller, ConnectionInfo, WebSocketObserver } from '@duet/websocket';
import { parseTraceparent } from './traceparent';

export class UpgradeObserver implements WebSocketObserver {
  /** The upgrade span of each open connection, by its caller. */
  readonly upgrades = new WeakMap<Caller, SpanContext>();

  constructor(private readonly tracer: Tracer) {}

  /** Connections are entered after their upgrade is answered with 101, before `@OnOpen` runs. */
  connectionOpened(connection: ConnectionInfo): void {
    const request = connection.caller.request;
    const attributes: Attributes = { 'http.response.status_code': 101, 'duet.upgrade.refused': false, 'url.path': connection.path };
    if (request.remoteAddress !== undefined) attributes['network.peer.address'] = request.remoteAddress;
    const span = this.tracer.startSpan(`WS upgrade ${connection.path}`, { kind: SpanKind.SERVER, attributes }, parentOf(request.headers));
    this.upgrades.set(connection.caller, span.spanContext());
    span.end();
  }

  upgradeRefused(path: string, status: number, headers: IncomingHttpHeaders): void {
    const attributes: Attributes = { 'http.response.status_code': status, 'duet.upgrade.refused': true, 'url.path': path };
    const span = this.tracer.startSpan(`WS upgrade ${path}`, { kind: SpanKind.SERVER, attributes }, parentOf(headers));
    // As for HTTP servers, a 4xx answer is the client's error; only a 5xx is the span's.
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}

function parentOf(headers: IncomingHttpHeaders | undefined): Context {
  const active = context.active();
  const remote = parseTraceparent(headers?.traceparent);
  return remote === undefined ? active : trace.setSpanContext(active, remote);
}
