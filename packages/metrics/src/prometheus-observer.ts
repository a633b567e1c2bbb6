// `PrometheusObserver`: the app's observer hooks kept as prom-client series. The series of a
// service are bound to their labels once, when the service is first seen, so a message costs
// one Map lookup and an increment, with no label object built per message.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionInfo, FrameData, MessageKind, WebSocketObserver } from '@duet/websocket';

/** What `new PrometheusObserver(options)` and `metricsModule(options)` accept. */
export interface PrometheusObserverOptions {
  /** Where the series are registered (default: a new `Registry`; pass prom-client's `register` to share the global one). */
  registry?: Registry;
  /** Bucket bounds of `duet_handler_duration_seconds`, in seconds (default 0.5 ms to 10 s). */
  buckets?: number[];
}

/** Handler-duration buckets: WebSocket handlers are mostly fast, so the low end is finer than prom-client's default. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

type Child = { inc(value?: number): void };
type GaugeChild = Child & { dec(value?: number): void };
type HistogramChild = { observe(value: number): void };

/**
 * A `WebSocketObserver` that keeps Prometheus series of a running app:
 *
 * | series | type | labels |
 * |---|---|---|
 * | `duet_connections_open` | gauge | `service` |
 * | `duet_connections_total` | counter | `service` |
 * | `duet_messages_received_total`, `duet_messages_sent_total` | counter | `service`, `kind` (`text`/`binary`) |
 * | `duet_bytes_received_total`, `duet_bytes_sent_total` | counter | `service`, `kind` (payload bytes; text as UTF-8) |
 * | `duet_handler_duration_seconds` | histogram | `service`, `handler` (`open`, `text`, `message`…) |
 * | `duet_errors_total` | counter | `service`, `kind` (the error's `code`, else its class name) |
 * | `duet_closes_total` | counter | `service`, `code` (the close code) |
 * | `duet_upgrades_refused_total` | counter | `status` (the HTTP status; no path, which clients choose freely) |
 *
 * `service` is the service class name. Bind it under `OBSERVER` (or load `metricsModule`) and
 * serve `registry` with `prometheusRequestHandler`. One observer per registry: a second one
 * would register the same names twice, which prom-client refuses.
 */
export class PrometheusObserver implements WebSocketObserver {
  /** The registry holding the series. */
  readonly registry: Registry;
  private readonly open: Gauge<'service'>;
  private readonly total: Counter<'service'>;
  private readonly received: Counter<'service' | 'kind'>;
  private readonly sent: Counter<'service' | 'kind'>;
  private readonly bytesReceived: Counter<'service' | 'kind'>;
  private readonly bytesSent: Counter<'service' | 'kind'>;
  private readonly durations: Histogram<'service' | 'handler'>;
  private readonly errors: Counter<'service' | 'kind'>;
  private readonly closes: Counter<'service' | 'code'>;
  private readonly refused: Counter<'status'>;
  private readonly services = new Map<string, ServiceSeries>();

  constructor(options: PrometheusObserverOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.open = new Gauge({ name: 'duet_connections_open', help: 'Open WebSocket connections.', labelNames: ['service'], registers });
    this.total = counter('duet_connections_total', 'WebSocket connections accepted.', ['service']);
    this.received = counter('duet_messages_received_total', 'Messages received.', ['service', 'kind']);
    this.sent = counter('duet_messages_sent_total', 'Messages sent.', ['service', 'kind']);
    this.bytesReceived = counter('duet_bytes_received_total', 'Payload bytes received.', ['service', 'kind']);
    this.bytesSent = counter('duet_bytes_sent_total', 'Payload bytes sent.', ['service', 'kind']);
    this.durations = new Histogram({
      name: 'duet_handler_duration_seconds',
      help: 'Time handlers took, until a returned promise settled.',
      labelNames: ['service', 'handler'],
      buckets: options.buckets ?? [...DEFAULT_DURATION_BUCKETS],
      registers,
    });
    this.errors = counter('duet_errors_total', 'Errors that reached a connection, by code.', ['service', 'kind']);
    this.closes = counter('duet_closes_total', 'Closed connections, by close code.', ['service', 'code']);
    this.refused = counter('duet_upgrades_refused_total', 'Upgrade requests answered with an HTTP error.', ['status']);
  }

  connectionOpened(connection: ConnectionInfo): void {
    const series = this.of(connection);
    series.open.inc();
    series.total.inc();
  }

  connectionClosed(connection: ConnectionInfo, statusCode: number): void {
    const series = this.of(connection);
    series.open.dec();
    series.labelled(series.closes, this.closes, String(statusCode)).inc();
  }

  messageReceived(connection: ConnectionInfo, kind: MessageKind, data: Buffer): void {
    const series = this.of(connection);
    const at = kind === 'text' ? 0 : 1;
    series.received[at].inc();
    series.bytesReceived[at].inc(data.byteLength);
  }

  messageSent(connection: ConnectionInfo, kind: MessageKind, data: FrameData): void {
    const series = this.of(connection);
    const at = kind === 'text' ? 0 : 1;
    series.sent[at].inc();
    series.bytesSent[at].inc(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }

  handlerFinished(connection: ConnectionInfo, handler: string, durationMs: number): void {
    const series = this.of(connection);
    series.labelled(series.durations, this.durations, handler).observe(durationMs / 1000);
  }

  errorOccurred(connection: ConnectionInfo, kind: string): void {
    const series = this.of(connection);
    series.labelled(series.errors, this.errors, kind).inc();
  }

  upgradeRefused(_path: string, status: number): void {
    this.refused.labels(String(status)).inc();
  }

  private of(connection: ConnectionInfo): ServiceSeries {
    let series = this.services.get(connection.service);
    if (series === undefined) {
      const service = connection.service;
      const pair = (metric: Counter<'service' | 'kind'>) =>
        [metric.labels(service, 'text'), metric.labels(service, 'binary')] as const;
      series = new ServiceSeries(
        service,
        this.open.labels(service),
        this.total.labels(service),
        pair(this.received),
        pair(this.sent),
        pair(this.bytesReceived),
        pair(this.bytesSent),
      );
      this.services.set(service, series);
    }
    return series;
  }
}

/** One service's series, bound to its labels; handler, error and close series as they appear. */
class ServiceSeries {
  readonly durations = new Map<string, HistogramChild>();
  readonly errors = new Map<string, Child>();
  readonly closes = new Map<string, Child>();

  constructor(
    readonly service: string,
    readonly open: GaugeChild,
    readonly total: Child,
    /** Each indexed 0 for text, 1 for binary. */
    readonly received: readonly [Child, Child],
    readonly sent: readonly [Child, Child],
    readonly bytesReceived: readonly [Child, Child],
    readonly bytesSent: readonly [Child, Child],
  ) {}

  /** The child of `metric` for this service and `value`, made on first use. */
  labelled<C>(cache: Map<string, C>, metric: { labels(...values: string[]): C }, value: string): C {
    let child = cache.get(value);
    if (child === undefined) cache.set(value, (child = metric.labels(this.service, value)));
    return child;
  }
}
