// `openTelemetryModule`: the container module that binds `TracingInterceptor` as a global
// interceptor, so an app loads tracing as one feature beside its `webSocketModule`.
import { ContainerModule } from 'inversify';
import { type TracerProvider, trace } from '@opentelemetry/api';
import { GLOBAL_INTERCEPTOR } from '@duet/websocket';
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
 * Traces every handler call: binds `TracingInterceptor` under `GLOBAL_INTERCEPTOR`, so it runs
 * outermost around every handler of every service.
 */
export function openTelemetryModule(options: OpenTelemetryModuleOptions = {}): ContainerModule {
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const field = options.traceparentField ?? 'traceparent';
  const settings: TracingSettings = {
    tracer: provider.getTracer(TRACER_NAME),
    traceparentField: field === false ? undefined : field,
  };
  return new ContainerModule(({ bind }) => {
    bind(TRACING_SETTINGS).toConstantValue(settings);
    bind(GLOBAL_INTERCEPTOR).toConstantValue(TracingInterceptor);
  });
}
