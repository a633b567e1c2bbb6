// Serves a prom-client registry over plain HTTP, as a listener's `onRequest`: the metrics sit
// on a port of their own (or beside the services), never behind an upgrade.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { type Logger, consoleLogger } from '@duet/websocket';

/** What `prometheusRequestHandler` accepts besides the registry. */
export interface MetricsEndpointOptions {
  /** The path that serves the metrics (default `/metrics`); any other path is answered 404. */
  path?: string;
  /** Where a failing collection is reported (default: the console logger); the scraper gets a bare 500. */
  logger?: Logger;
}

/**
 * A listener `onRequest` handler answering `GET <path>` with the registry in Prometheus' text
 * format, 405 for other methods on that path, and 404 elsewhere.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * container.load(
 *   metricsModule({ registry }),
 *   webSocketModule({
 *     listeners: {
 *       default: { port: 8080 },
 *       metrics: { port: 9464, host: '127.0.0.1', onRequest: prometheusRequestHandler(registry) },
 *     },
 *     services: [ChatService],
 *   }),
 * );
 * ```
 */
export function prometheusRequestHandler(
  registry: Registry,
  options: MetricsEndpointOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const path = options.path ?? '/metrics';
  const logger = options.logger ?? consoleLogger;
  return (request, response) => {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    if ((queryAt === -1 ? url : url.slice(0, queryAt)) !== path) {
      plain(response, 404, 'Not Found');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      plain(response, 405, 'Method Not Allowed');
      return;
    }
    registry.metrics().then(
      (body) => {
        response.writeHead(200, { 'Content-Type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logger.error('metrics collection failed', { path, error });
        plain(response, 500, 'Internal Server Error');
      },
    );
  };
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}
