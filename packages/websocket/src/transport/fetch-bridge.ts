// A listener's fetch-style app (`ListenerConfig.fetch`) on node:http: the request becomes a
// WHATWG `Request` (its body streamed, not buffered), the app's `Response` is written back.
// Bun's server speaks fetch itself (bun-listener.ts); this is for the ws engine.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '../logger';

type FetchApp = (request: Request) => Response | Promise<Response>;

/** Answers `request` with what `app` returns; a failing app is logged and answered 500. */
export async function answerWithFetch(
  app: FetchApp,
  request: IncomingMessage,
  response: ServerResponse,
  secure: boolean,
  logger: Logger,
): Promise<void> {
  try {
    const answer = await app(requestOf(request, secure));
    const headers: Record<string, string | string[]> = {};
    answer.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = value;
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length > 0) headers['set-cookie'] = cookies;
    response.writeHead(answer.status, answer.statusText, headers);
    if (answer.body === null) {
      response.end();
      return;
    }
    for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
      // Respect the peer's pace: wait for the socket to take a chunk before reading the next.
      if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end();
  } catch (error) {
    logger.error('the listener fetch app failed', { error });
    if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain', Connection: 'close' }).end('Internal Server Error\n');
    else response.destroy();
  }
}

function requestOf(request: IncomingMessage, secure: boolean): Request {
  const method = request.method ?? 'GET';
  const url = `${secure ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (hasBody) {
    init.body = Readable.toWeb(request) as unknown as ReadableStream<Uint8Array>;
    init.duplex = 'half'; // a streamed body, as fetch requires
  }
  return new Request(url, init);
}
