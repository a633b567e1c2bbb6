// `PrometheusObserver`: the app's observer hooks kept as prom-client series. The series of a
// service are bound to their labels once, when the service is first seen, so a message costs
// one Map lookup and an increment, with no label object built per message. The resumable
// sessions' series appear with a service's first session event.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionInfo, FrameData, MessageKind, ResumeRefusal, SessionLoss, WebSocketObserver } from '@duet/websocket';

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
 * | `duet_sessions_disconnected_total` | counter | `service` (resumable sessions whose socket dropped, left waiting for a resume) |
 * | `duet_sessions_waiting` | gauge | `service` (resumable sessions waiting for their client now) |
 * | `duet_sessions_resumed_total` | counter | `service` |
 * | `duet_sessions_expired_total`, `duet_sessions_overflowed_total` | counter | `service` (ended while their client was away) |
 * | `duet_resumes_refused_total` | counter | `service`, `reason` (`unknown session`, `expired`, `buffer overflowed`, `principal mismatch`) |
 *
 * The session series count what `registry.stats().sessions` counts, per service.
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
  private readonly sessionsDisconnected: Counter<'service'>;
  private readonly sessionsWaiting: Gauge<'service'>;
  private readonly sessionsResumed: Counter<'service'>;
  private readonly sessionsExpired: Counter<'service'>;
  private readonly sessionsOverflowed: Counter<'service'>;
  private readonly resumesRefused: Counter<'service' | 'reason'>;
  /** Connections whose session waits for a resume: `connectionClosed` takes them off the gauge. */
  private readonly waiting = new Set<ConnectionInfo>();
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
    this.sessionsDisconnected = counter(
      'duet_sessions_disconnected_total',
      'Resumable sessions whose socket dropped, left waiting for a resume.',
      ['service'],
    );
    this.sessionsWaiting = new Gauge({
      name: 'duet_sessions_waiting',
      help: 'Resumable sessions waiting for their client to resume.',
      labelNames: ['service'],
      registers,
    });
    this.sessionsResumed = counter('duet_sessions_resumed_total', 'Resumable sessions resumed on a new socket.', ['service']);
    this.sessionsExpired = counter('duet_sessions_expired_total', 'Resumable sessions whose window passed without a resume.', ['service']);
    this.sessionsOverflowed = counter(
      'duet_sessions_overflowed_total',
      'Resumable sessions ended because their buffer overflowed while the client was away.',
      ['service'],
    );
    this.resumesRefused = counter('duet_resumes_refused_total', 'Resumes refused (the client got a fresh session), by reason.', [
      'service',
      'reason',
    ]);
  }

  connectionOpened(connection: ConnectionInfo): void {
    const series = this.of(connection);
    series.open.inc();
    series.total.inc();
  }

  connectionClosed(connection: ConnectionInfo, statusCode: number): void {
    const series = this.of(connection);
    series.open.dec();
    if (this.waiting.size > 0 && this.waiting.delete(connection)) series.sessions!.waiting.dec();
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

  sessionDisconnected(connection: ConnectionInfo): void {
    const sessions = this.sessionsOf(connection.service);
    sessions.disconnected.inc();
    if (!this.waiting.has(connection)) {
      this.waiting.add(connection);
      sessions.waiting.inc();
    }
  }

  sessionResumed(connection: ConnectionInfo): void {
    const sessions = this.sessionsOf(connection.service);
    sessions.resumed.inc();
    if (this.waiting.delete(connection)) sessions.waiting.dec();
  }

  sessionLost(connection: ConnectionInfo, outcome: SessionLoss): void {
    const sessions = this.sessionsOf(connection.service);
    (outcome === 'expired' ? sessions.expired : sessions.overflowed).inc();
  }

  resumeRefused(service: string, reason: ResumeRefusal): void {
    const series = this.ofService(service);
    this.sessionsOf(service); // the service's other session series appear (at 0) beside it
    series.labelled(series.refusedResumes, this.resumesRefused, reason).inc();
  }

  private of(connection: ConnectionInfo): ServiceSeries {
    return this.ofService(connection.service);
  }

  /**
   * The service's session series, bound to its label at its first session event. Each starts
   * at 0 there: prom-client shows a labelled child only once it was set, and a counter that
   * appears only with its first increment hides that increment from `rate()`.
   */
  private sessionsOf(service: string): SessionSeries {
    const series = this.ofService(service);
    if (series.sessions !== undefined) return series.sessions;
    const sessions: SessionSeries = {
      disconnected: this.sessionsDisconnected.labels(service),
      waiting: this.sessionsWaiting.labels(service),
      resumed: this.sessionsResumed.labels(service),
      expired: this.sessionsExpired.labels(service),
      overflowed: this.sessionsOverflowed.labels(service),
    };
    for (const child of Object.values(sessions)) child.inc(0);
    return (series.sessions = sessions);
  }

  private ofService(service: string): ServiceSeries {
    let series = this.services.get(service);
    if (series === undefined) {
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

/** A service's resumable-session series. */
interface SessionSeries {
  readonly disconnected: Child;
  readonly waiting: GaugeChild;
  readonly resumed: Child;
  readonly expired: Child;
  readonly overflowed: Child;
}

/** One service's series, bound to its labels; handler, error, close and session series as they appear. */
class ServiceSeries {
  sessions: SessionSeries | undefined;
  readonly refusedResumes = new Map<string, Child>();
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
