export { openTelemetryModule, type OpenTelemetryModuleOptions, TRACER_NAME } from './opentelemetry-module';
export { TracingInterceptor } from './tracing-interceptor';
export { UpgradeObserver } from './upgrade-observer';
export { formatTraceparent, parseTraceparent } from './traceparent';
