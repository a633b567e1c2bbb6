import 'reflect-metadata';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Caller, HandshakeError, LOGGER, type Logger, OnMessage, OnText, WebSocketService } from '@duet/websocket';
import { closeTestApps, createTestApp, eventually } from '@duet/testing';
import { type OpenTelemetryModuleOptions, formatTraceparent, openTelemetryModule, parseTraceparent } from '@duet/opentelemetry';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => context.setGlobalContextManager(contextManager.enable()));
afterAll(() => {
  context.disable();
  return provider.shutdown();
});
beforeEach(() => exporter.reset());
afterEach(closeTestApps);

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

@WebSocketService({ path: '/traced' })
class TracedService {
  @OnText()
  async onText(_caller: Caller, text: string) {
    if (text === 'boom') throw new Error('boom');
    await new Promise((resolve) => setImmediate(resolve));
    // Started after an await: it is the active context, not the call stack, that makes it a child.
    trace.getTracer('handler').startSpan('inner').end();
    return text;
  }
}

@WebSocketService({ path: '/typed', dispatcherKey: 'type' })
class TypedService {
  @OnMessage('add')
  add(_caller: Caller, message: { a: number; b: number }) {
    return { type: 'sum', value: message.a + message.b };
  }
}

async function start(options: OpenTelemetryModuleOptions = {}) {
  return createTestApp({
    services: [TracedService, TypedService],
    configure: (container) => container.load(openTelemetryModule({ tracerProvider: provider, ...options })),
    bindings: [[LOGGER, quiet]],
  });
}

async function spansNamed(...names: string[]): Promise<ReadableSpan[]> {
  await eventually(() => names.every((name) => exporter.getFinishedSpans().some((span) => span.name === name)));
  return names.map((name) => exporter.getFinishedSpans().find((span) => span.name === name)!);
}

describe('openTelemetryModule', () => {
  it('records a span per handler call, named <Service>.<method>, with the event, type, connection and peer', async () => {
    const app = await start();
    const client = await app.client('/traced');
    await client.writeTextMessage('hi');
    expect(await client.readTextMessage()).toBe('hi');
    const typedClient = await app.client('/typed');
    await typedClient.writeMessage({ type: 'add', a: 2, b: 3 });
    expect(JSON.parse(await typedClient.readTextMessage())).toEqual({ type: 'sum', value: 5 });
    const [text, typed] = await spansNamed('TracedService.onText', 'TypedService.add');
    expect(text.attributes).toEqual({
      'websocket.event': 'text',
      'duet.connection.id': app.registry.list(TracedService)[0].getConnectionId(),
      'network.peer.address': '127.0.0.1',
    });
    expect(typed.attributes).toEqual({
      'websocket.event': 'message',
      'duet.message.type': 'add',
      'duet.connection.id': app.registry.list(TypedService)[0].getConnectionId(),
      'network.peer.address': '127.0.0.1',
    });
    expect(text.status.code).toBe(SpanStatusCode.UNSET);
    expect(text.instrumentationScope.name).toBe('@duet/opentelemetry');
  });

  it('makes the handler span the active context, so a span the handler starts is its child', async () => {
    trace.setGlobalTracerProvider(provider);
    try {
      const app = await start();
      const client = await app.client('/traced');
      await client.writeTextMessage('hi');
      await client.readTextMessage();
      const [handler, inner] = await spansNamed('TracedService.onText', 'inner');
      expect(inner.spanContext().traceId).toBe(handler.spanContext().traceId);
      expect(inner.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
    } finally {
      trace.disable();
    }
  });

  it('marks the span of a handler that throws with an error status and an exception event', async () => {
    const app = await start();
    const client = await app.client('/traced');
    await client.writeTextMessage('boom');
    const [span] = await spansNamed('TracedService.onText');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    const exception = span.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('boom');
  });

  it("continues the trace of a typed message's traceparent field", async () => {
    const app = await start();
    const client = await app.client('/typed');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client.writeMessage({ type: 'add', a: 1, b: 1, traceparent });
    await client.readTextMessage();
    const [span] = await spansNamed('TypedService.add');
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('reads the traceparent from the configured field, and none with traceparentField: false', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const named = await start({ traceparentField: 'trace' });
    const client = await named.client('/typed');
    await client.writeMessage({ type: 'add', a: 1, b: 1, trace: traceparent });
    await client.readTextMessage();
    const [span] = await spansNamed('TypedService.add');
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    await closeTestApps();
    exporter.reset();

    const off = await start({ traceparentField: false });
    const other = await off.client('/typed');
    await other.writeMessage({ type: 'add', a: 1, b: 1, traceparent });
    await other.readTextMessage();
    const [root] = await spansNamed('TypedService.add');
    expect(root.spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(root.parentSpanContext).toBeUndefined();
  });
});

describe('upgrade spans', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('records an accepted upgrade as WS upgrade <path>, status 101, its traceparent header as parent', async () => {
    const app = await start();
    const client = await app.client('/traced', { customHeaders: { traceparent } });
    await client.writeTextMessage('hi');
    await client.readTextMessage();
    const [upgrade, handler] = await spansNamed('WS upgrade /traced', 'TracedService.onText');
    expect(upgrade.attributes).toMatchObject({ 'http.response.status_code': 101, 'duet.upgrade.refused': false });
    expect(upgrade.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(upgrade.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    // The handler span is linked to its connection's upgrade, not made its child.
    expect(handler.links.map((link) => link.context.spanId)).toEqual([upgrade.spanContext().spanId]);
    expect(handler.spanContext().traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('records a refused upgrade with its status, refused, and its traceparent header as parent', async () => {
    const app = await start();
    await expect(app.client('/nowhere', { customHeaders: { traceparent } })).rejects.toThrow(HandshakeError);
    const [upgrade] = await spansNamed('WS upgrade /nowhere');
    expect(upgrade.attributes).toMatchObject({ 'http.response.status_code': 404, 'duet.upgrade.refused': true });
    expect(upgrade.status.code).toBe(SpanStatusCode.UNSET);
    expect(upgrade.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });
});

describe('traceparent', () => {
  it('reads a valid value and refuses malformed ones', () => {
    const parsed = parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(parsed).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true });
    expect(formatTraceparent(parsed!)).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x')).toBeUndefined();
    expect(parseTraceparent(42)).toBeUndefined();
  });
});
