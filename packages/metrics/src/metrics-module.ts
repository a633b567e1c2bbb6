// `metricsModule`: the container module that binds a PrometheusObserver under OBSERVER, so an
// app loads metrics as one feature beside its `webSocketModule`.
import { ContainerModule } from 'inversify';
import { OBSERVER } from '@duet/websocket';
import { PrometheusObserver, type PrometheusObserverOptions } from './prometheus-observer';

/**
 * Binds a `PrometheusObserver` (made from `options`, or the one given) under `OBSERVER`, and
 * under its own class for code that wants its registry. Serve the registry with
 * `prometheusRequestHandler` on a listener's `onRequest`.
 */
export function metricsModule(options: PrometheusObserverOptions | PrometheusObserver = {}): ContainerModule {
  const observer = options instanceof PrometheusObserver ? options : new PrometheusObserver(options);
  return new ContainerModule(({ bind }) => {
    bind(OBSERVER).toConstantValue(observer);
    bind(PrometheusObserver).toConstantValue(observer);
  });
}
