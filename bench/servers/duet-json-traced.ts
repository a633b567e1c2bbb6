// Duet's typed JSON dispatch (bench/servers/duet-json.ts) traced by @duet/opentelemetry: every
// message gets a sampled span, active while the handler runs, handed to a batch processor whose
// exporter drops it. What tracing costs the server, exporting aside (docs/performance.md).
import 'reflect-metadata';
import { Container } from 'inversify';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Caller, OnMessage, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';
import { openTelemetryModule } from '@duet/opentelemetry';

// The service of duet-json.ts, repeated: importing that file would start its server too.
@WebSocketService({ path: '/ws', dispatcherKey: 'type' })
class JsonService {
  @OnMessage('echo')
  onEcho(_caller: Caller, message: { type: 'echo'; data: unknown }) {
    return { type: 'echo', data: message.data };
  }

  @OnMessage('ping')
  onPing() {
    return { type: 'pong' };
  }
}

/** Accepts every batch and keeps nothing. */
const dropping: SpanExporter = {
  export(_spans: ReadableSpan[], done) {
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

async function main(): Promise<void> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] });
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', services: [JsonService] }));
  container.load(openTelemetryModule({ tracerProvider }));
  const app = await WebSocketApplication.start(container);
  console.log(`listening on ws://127.0.0.1:${app.port()}/ws`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
