import 'reflect-metadata';
import { Gauge } from 'prom-client';
import WebSocket from 'ws';
import { Caller, HandshakeError, LOGGER, type Logger, OnBinary, OnClose, OnMessage, OnText, WebSocketService } from '@duet/websocket';
import { closeTestApps, createTestApp, eventually, waitForClose } from '@duet/testing';
import { Registry, metricsModule, prometheusRequestHandler } from '@duet/metrics';

afterEach(closeTestApps);

@WebSocketService({ path: '/echo' })
class EchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    if (text === 'boom') throw new Error('boom');
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

/** A service with resumable sessions; a window short enough for one to expire within the test. */
@WebSocketService({ path: '/session', dispatcherKey: 'type', resume: { window: 1 } })
class SessionService {
  static closes: [number, string][] = [];

  @OnMessage('echo') onEcho(_caller: Caller, message: { n: number }) {
    return { type: 'echo', n: message.n };
  }

  @OnClose() onClose(_caller: Caller, code: number, reason: string) {
    SessionService.closes.push([code, reason]);
  }
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** An app whose 'metrics' listener serves the registry on /metrics. */
async function startWithMetrics(registry = new Registry()) {
  return createTestApp({
    services: [EchoService, SessionService],
    listeners: { default: { port: 0 }, metrics: { port: 0, onRequest: prometheusRequestHandler(registry) } },
    configure: (container) => container.load(metricsModule({ registry })),
    bindings: [[LOGGER, quiet]],
  });
}

/** Parses the text exposition format: `name{label="value",…}` (labels sorted) → value. */
function parseSeries(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    series.set(labels === '' ? match[1] : `${match[1]}{${labels}}`, Number(match[3]));
  }
  return series;
}

describe('Prometheus metrics on /metrics', () => {
  it('count connections, messages and bytes by kind, handler runs, errors, close codes and refusals after a scripted exchange', async () => {
    const app = await startWithMetrics();
    const a = await app.client('/echo');
    const b = await app.client('/echo');
    for (const text of ['one', 'twenty-two', 'héllo']) {
      await a.writeTextMessage(text); // 3 + 10 + 6 bytes (é is two)
      expect(await a.readTextMessage()).toBe(text);
    }
    for (const data of [Buffer.from([1, 2, 3]), Buffer.alloc(5, 7)]) {
      await a.writeBinaryMessage(data);
      expect(await a.readBinaryMessage()).toEqual(data);
    }
    await b.writeTextMessage('boom'); // 4 bytes; the handler throws
    expect((await waitForClose(b)).code).toBe(1011);
    const refusal = await app.client('/missing').catch((error: unknown) => error);
    expect((refusal as HandshakeError).status).toBe(404);
    await a.close(1000);
    await eventually(() => app.registry.count() === 0, 2000, 'both connections to be closed on the server');

    const response = await app.httpGet('/metrics', 'metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const series = parseSeries(response.body);
    const svc = 'service="EchoService"';
    const exact = (name: string) => [...series].filter(([key]) => key.startsWith(`${name}{`) || key === name);
    expect(Object.fromEntries(['duet_connections_open', 'duet_connections_total'].flatMap(exact))).toEqual({
      [`duet_connections_open{${svc}}`]: 0,
      [`duet_connections_total{${svc}}`]: 2,
    });
    expect(Object.fromEntries(exact('duet_messages_received_total'))).toEqual({
      [`duet_messages_received_total{kind="text",${svc}}`]: 4,
      [`duet_messages_received_total{kind="binary",${svc}}`]: 2,
    });
    expect(Object.fromEntries(exact('duet_bytes_received_total'))).toEqual({
      [`duet_bytes_received_total{kind="text",${svc}}`]: 23,
      [`duet_bytes_received_total{kind="binary",${svc}}`]: 8,
    });
    expect(Object.fromEntries(exact('duet_messages_sent_total'))).toEqual({
      [`duet_messages_sent_total{kind="text",${svc}}`]: 3,
      [`duet_messages_sent_total{kind="binary",${svc}}`]: 2,
    });
    expect(Object.fromEntries(exact('duet_bytes_sent_total'))).toEqual({
      [`duet_bytes_sent_total{kind="text",${svc}}`]: 19,
      [`duet_bytes_sent_total{kind="binary",${svc}}`]: 8,
    });
    expect(Object.fromEntries(exact('duet_handler_duration_seconds_count'))).toEqual({
      [`duet_handler_duration_seconds_count{handler="text",${svc}}`]: 4,
      [`duet_handler_duration_seconds_count{handler="binary",${svc}}`]: 2,
    });
    expect(series.get(`duet_handler_duration_seconds_bucket{handler="text",le="+Inf",${svc}}`)).toBe(4);
    const textSeconds = series.get(`duet_handler_duration_seconds_sum{handler="text",${svc}}`)!;
    expect(textSeconds).toBeGreaterThan(0);
    expect(textSeconds).toBeLessThan(1);
    expect(Object.fromEntries(exact('duet_errors_total'))).toEqual({ [`duet_errors_total{kind="Error",${svc}}`]: 1 });
    expect(Object.fromEntries(exact('duet_closes_total'))).toEqual({
      [`duet_closes_total{code="1011",${svc}}`]: 1,
      [`duet_closes_total{code="1000",${svc}}`]: 1,
    });
    expect(Object.fromEntries(exact('duet_upgrades_refused_total'))).toEqual({ 'duet_upgrades_refused_total{status="404"}': 1 });
    expect(response.body).toContain('# TYPE duet_connections_open gauge');
    expect(response.body).toContain('# TYPE duet_handler_duration_seconds histogram');
  });

  it('shows a connection as open while it is, and only then', async () => {
    const app = await startWithMetrics();
    const client = await app.client('/echo');
    const open = parseSeries((await app.httpGet('/metrics', 'metrics')).body);
    expect(open.get('duet_connections_open{service="EchoService"}')).toBe(1);
    await client.close();
    await eventually(() => app.registry.count() === 0, 2000, 'the close on the server');
    const closed = parseSeries((await app.httpGet('/metrics', 'metrics')).body);
    expect(closed.get('duet_connections_open{service="EchoService"}')).toBe(0);
  });

  it('answers 404 beside the metrics path and 500 (logged, no detail) when a collection fails', async () => {
    const registry = new Registry();
    const logged: string[] = [];
    const logger: Logger = { ...quiet, error: (message) => logged.push(message) };
    new Gauge({
      name: 'broken_gauge',
      help: 'a collect() that throws',
      registers: [registry],
      collect() {
        throw new Error('secret detail');
      },
    });
    const app = await createTestApp({
      services: [EchoService],
      listeners: { default: { port: 0, onRequest: prometheusRequestHandler(registry, { path: '/stats', logger }) } },
    });
    expect((await app.httpGet('/metrics')).status).toBe(404);
    const failed = await app.httpGet('/stats?x=1');
    expect(failed.status).toBe(500);
    expect(failed.body).toBe('Internal Server Error\n');
    expect(logged).toEqual(['metrics collection failed']);
  });
});

describe('resumable sessions on /metrics', () => {
  it('count drops, resumes, refusals by reason and expiries as registry.stats() does, and show the sessions waiting', async () => {
    SessionService.closes = [];
    const app = await startWithMetrics();
    const scrape = async () => parseSeries((await app.httpGet('/metrics', 'metrics')).body);
    const svc = 'service="SessionService"';

    // A session that drops (no close frame) and is resumed.
    const first = await sessionSocket(app.url('/session?duet-resume=new'));
    expect(first.frames[0]).toMatchObject({ type: '$session', resumed: false });
    const token = first.frames[0].token as string;
    first.socket.send(JSON.stringify({ type: 'echo', n: 1 }));
    await eventually(() => first.frames.length === 2, 2000, 'the echo');
    first.socket.terminate();
    await eventually(async () => (await scrape()).get(`duet_sessions_waiting{${svc}}`) === 1, 2000, 'the drop, on the waiting gauge');
    expect(SessionService.closes).toEqual([]);
    const resumed = await sessionSocket(app.url(`/session?duet-resume=${token}&duet-ack=1`));
    expect(resumed.frames[0]).toMatchObject({ type: '$session', resumed: true });

    // A forged token: refused as unknown, with a fresh session.
    const forged = await sessionSocket(app.url(`/session?duet-resume=${'A'.repeat(32)}&duet-ack=0`));
    expect(forged.frames[0]).toMatchObject({ type: '$session', resumed: false, reason: 'unknown session' });

    // A session whose window passes; its late resume is refused as expired.
    const lapsed = await sessionSocket(app.url('/session?duet-resume=new'));
    lapsed.socket.terminate();
    await eventually(() => SessionService.closes.length === 1, 3000, 'the expiry');
    expect(SessionService.closes).toEqual([[1006, 'session expired']]);
    const late = await sessionSocket(app.url(`/session?duet-resume=${lapsed.frames[0].token}&duet-ack=0`));
    expect(late.frames[0]).toMatchObject({ type: '$session', resumed: false, reason: 'expired' });

    const series = await scrape();
    const exact = (name: string) => [...series].filter(([key]) => key.startsWith(`${name}{`));
    expect(Object.fromEntries(['duet_sessions_disconnected_total', 'duet_sessions_waiting', 'duet_sessions_resumed_total'].flatMap(exact))).toEqual({
      [`duet_sessions_disconnected_total{${svc}}`]: 2,
      [`duet_sessions_waiting{${svc}}`]: 0,
      [`duet_sessions_resumed_total{${svc}}`]: 1,
    });
    expect(Object.fromEntries(['duet_sessions_expired_total', 'duet_sessions_overflowed_total'].flatMap(exact))).toEqual({
      [`duet_sessions_expired_total{${svc}}`]: 1,
      [`duet_sessions_overflowed_total{${svc}}`]: 0,
    });
    expect(Object.fromEntries(exact('duet_resumes_refused_total'))).toEqual({
      [`duet_resumes_refused_total{reason="unknown session",${svc}}`]: 1,
      [`duet_resumes_refused_total{reason="expired",${svc}}`]: 1,
    });
    expect(app.registry.stats().sessions).toEqual({
      resumed: 1,
      expired: 1,
      overflowed: 0,
      refused: { 'unknown session': 1, expired: 1, 'buffer overflowed': 0, 'principal mismatch': 0 },
    });
    // The lapsed session's connection closed once, with the expiry: the resumed one is still open.
    expect(series.get(`duet_closes_total{code="1006",${svc}}`)).toBe(1);
    expect(series.get(`duet_connections_open{${svc}}`)).toBe(3);
    for (const { socket } of [resumed, forged, late]) socket.close();
  });
});

/** A raw `ws` socket asking for a session: resolves once its first frame (the `$session`) came; `frames` keeps every frame. */
async function sessionSocket(url: string): Promise<{ socket: WebSocket; frames: any[] }> {
  const socket = new WebSocket(url);
  const frames: any[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      frames.push(JSON.parse(data.toString()));
      if (frames.length === 1) resolve();
    });
    socket.once('error', reject);
  });
  return { socket, frames };
}
