// @duet/client carries the active OpenTelemetry span to the server as a W3C `traceparent` field,
// found through the API's global registration (the client never imports @opentelemetry/api), and
// @duet/opentelemetry on the server continues that trace even when the schema strips the field.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { Caller, OnMessage, WebSocketService } from '@duet/websocket';
import { openTelemetryModule } from '@duet/opentelemetry';
import { closeTestApps, createTestApp, eventually } from '@duet/testing';
import { ClientOptionsError, createClient, defineContract } from '@duet/client';
import { cleanup, track } from './helpers';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('page');

beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
afterAll(() => {
  context.disable();
  return provider.shutdown();
});
beforeEach(() => exporter.reset());
afterEach(async () => {
  await cleanup();
  await closeTestApps();
});

const inspect = defineContract({
  path: '/inspect',
  requests: {
    // passthrough: the service sees every field that arrived.
    fields: { message: z.object({ n: z.number() }).passthrough(), reply: z.object({ fields: z.record(z.string(), z.unknown()) }) },
    // A plain z.object strips unknown fields before the handler runs.
    add: { message: z.object({ a: z.number(), b: z.number() }), reply: z.object({ sum: z.number() }) },
  },
  messages: {},
  events: {},
});

@WebSocketService({ contract: inspect })
class InspectService {
  @OnMessage('fields') fields(_caller: Caller, message: Record<string, unknown>) {
    return { fields: message };
  }

  @OnMessage('add') add(_caller: Caller, message: { a: number; b: number }) {
    return { sum: message.a + message.b };
  }
}

async function start(traced = false) {
  const app = await createTestApp({
    services: [InspectService],
    configure: traced ? (container) => container.load(openTelemetryModule({ tracerProvider: provider })) : undefined,
  });
  return `ws://127.0.0.1:${app.port()}`;
}

function inSpan<T>(work: () => Promise<T>): Promise<{ result: T; traceId: string; spanId: string }> {
  return tracer.startActiveSpan('click', async (span) => {
    try {
      const result = await work();
      return { result, ...span.spanContext() };
    } finally {
      span.end();
    }
  });
}

describe("@duet/client's traceparent", () => {
  it('adds the active span as a traceparent field to a request, and nothing outside a span', async () => {
    const client = track(createClient(inspect, await start(), { reconnect: false }));
    const inside = await inSpan(() => client.request('fields', { n: 1 }));
    expect(inside.result.fields).toEqual({ type: 'fields', id: expect.any(Number), n: 1, traceparent: `00-${inside.traceId}-${inside.spanId}-01` });
    expect((await client.request('fields', { n: 2 })).fields).toEqual({ type: 'fields', id: expect.any(Number), n: 2 });
  });

  it('adds it to a send, under traceparentField, and never with traceparentField: false', async () => {
    const url = await start();
    const named = track(createClient(inspect, url, { reconnect: false, traceparentField: 'trace' }));
    const off = track(createClient(inspect, url, { reconnect: false, traceparentField: false }));
    const replies: unknown[] = [];
    named.on('*', (message) => replies.push(message));
    const sent = await inSpan(async () => named.send('fields', { n: 3 }));
    await eventually(() => replies.length === 1, 2000, 'the reply of the send');
    expect(replies[0]).toEqual({ fields: { type: 'fields', n: 3, trace: `00-${sent.traceId}-${sent.spanId}-01` } });
    const quiet = await inSpan(() => off.request('fields', { n: 4 }));
    expect(quiet.result.fields).toEqual({ type: 'fields', id: expect.any(Number), n: 4 });
  });

  it("keeps the application's own traceparent field", async () => {
    const client = track(createClient(inspect, await start(), { reconnect: false }));
    const mine = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { result } = await inSpan(() => client.request('fields', { n: 5, traceparent: mine } as { n: number }));
    expect(result.fields.traceparent).toBe(mine);
  });

  it("makes the server's handler span a child of the client's span, though the schema strips the field", async () => {
    const url = await start(true);
    const client = track(createClient(inspect, url, { reconnect: false }));
    const { result, traceId, spanId } = await inSpan(() => client.request('add', { a: 2, b: 3 }));
    expect(result).toEqual({ sum: 5 });
    await eventually(() => exporter.getFinishedSpans().some((span) => span.name === 'InspectService.add'), 2000, 'the handler span');
    const handler = exporter.getFinishedSpans().find((span) => span.name === 'InspectService.add')!;
    expect(handler.spanContext().traceId).toBe(traceId);
    expect(handler.parentSpanContext?.spanId).toBe(spanId);

    // Without the field, the same call in a span is not its parent: the link is the field, not the process.
    exporter.reset();
    const untraced = track(createClient(inspect, url, { reconnect: false, traceparentField: false }));
    const other = await inSpan(() => untraced.request('add', { a: 1, b: 1 }));
    await eventually(() => exporter.getFinishedSpans().some((span) => span.name === 'InspectService.add'), 2000, 'the handler span');
    const unlinked = exporter.getFinishedSpans().find((span) => span.name === 'InspectService.add')!;
    expect(unlinked.spanContext().traceId).not.toBe(other.traceId);
  });

  it('refuses a traceparentField that is not a non-empty string or false', () => {
    expect(() => createClient(inspect, 'ws://127.0.0.1:1', { traceparentField: '' })).toThrow(ClientOptionsError);
    expect(() => createClient(inspect, 'ws://127.0.0.1:1', { traceparentField: 7 as unknown as string })).toThrow(/traceparentField/);
  });
});
