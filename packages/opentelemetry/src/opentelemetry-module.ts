// `openTelemetryModule`: the container module that binds `TracingInterceptor` as a global
// interceptor, so an app loads tracing as one feature beside its `webSocketModule`.
import { ContainerModule } from 'inversify';
import { type TracerProvider, trace } from '@opentelemetry/api';
import { GLOBAL_INTERCEPTOR, OBSERVER } from '@duet/websocket';
import { UpgradeObserver } from './upgrade-observer';
import { TRACING_SETTINGS, TracingInterceptor, type TracingSettings } from './tracing-interceptor';

export interface OpenTelemetryModuleOptions {
  /** Where spans go; default the global provider (`trace.getTracerProvider()`), read at load. */
  tracerProvider?: TracerProvider;
  /** The typed-message field read for a W3C `traceparent` (default `'traceparent'`); `false` reads none. */
  traceparentField?: string | false;
}

/** The instrumentation scope name spans are recorded under. */
export const TRACER_NAME = '@duet/opentelemetry';

/**
 * Traces every upgrade and every handler call: binds `UpgradeObserver` under `OBSERVER` (a span
 * per upgrade request) and `TracingInterceptor` under `GLOBAL_INTERCEPTOR`, so it runs outermost
 * around every handler of every service (a span per call, linked to its connection's upgrade).
 */
export function openTelemetryModule(options: OpenTelemetryModuleOptions = {}): ContainerModule {
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const field = options.traceparentField ?? 'traceparent';
  const tracer = provider.getTracer(TRACER_NAME);
  const observer = new UpgradeObserver(tracer);
  const settings: TracingSettings = {
    tracer,
    upgrades: observer.upgrades,
    traceparentField: field === false ? undefined : field,
  };
  return new ContainerModule(({ bind }) => {
    bind(TRACING_SETTINGS).toConstantValue(settings);
    bind(GLOBAL_INTERCEPTOR).toConstantValue(TracingInterceptor);
    bind(OBSERVER).toConstantValue(observer);
  });
}
