// The public API of @duet/metrics, listed by name.
export { metricsModule } from './metrics-module';
export {
  DEFAULT_DURATION_BUCKETS,
  PrometheusObserver,
  type PrometheusObserverOptions,
} from './prometheus-observer';
export { prometheusRequestHandler, type MetricsEndpointOptions } from './request-handler';
export { Registry } from 'prom-client';
