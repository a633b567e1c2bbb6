// A plain HTTP GET to a test app's listener (a `/metrics` or health endpoint served through
// `onRequest`), on its own socket that is closed with the response, so nothing stays open.
import { type IncomingHttpHeaders, request } from 'node:http';

/** What `TestApp.httpGet` returns. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** GETs `http://127.0.0.1:<port><path>` without keep-alive; rejects after `timeoutMs`. */
export function httpGet(port: number, path: string, timeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: { Connection: 'close' },
      timeout: timeoutMs,
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`GET ${path} got no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.end();
  });
}
