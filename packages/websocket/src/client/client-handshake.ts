// One connection attempt: opens a `ws` socket with the client's configuration and settles
// with the open socket or with a typed error (HandshakeError for an HTTP refusal, TlsError,
// ConnectError for the rest). The socket is handed over synchronously on 'open', before any
// of its messages can be emitted, so none is missed.
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { ResolvedClientConfig } from './client-config';
import { ConnectError, HandshakeError, TlsError } from './client-errors';

/** Response headers of the handshake, names in lower case. */
export type HttpHeaders = Readonly<Record<string, string | readonly string[]>>;

/** Called on 'open', in the same tick, with the socket and the 101 response's headers. */
export type AdoptSocket = (socket: WebSocket, headers: HttpHeaders) => void;

const MAX_REFUSAL_BODY_BYTES = 4096;

// Node's and OpenSSL's codes for certificate and TLS failures.
const TLS_FAILURE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_|INVALID_CA|INVALID_PURPOSE)/;

/** Makes one connection attempt; `signal` aborts it (the socket is terminated). */
export function openSocket(config: ResolvedClientConfig, signal: AbortSignal, adopt: AdoptSocket): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(config.url, config.subProtocols as string[], {
      ...config.tls,
      headers: config.headers as Record<string, string>,
      handshakeTimeout: config.handshakeTimeoutMs,
      maxPayload: config.maxFrameSize,
      perMessageDeflate: false,
      followRedirects: false,
      // With an onPing hook the application answers pings itself.
      autoPong: config.pingPongHandler?.onPing === undefined,
    });
    let headers: HttpHeaders = {};
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.terminate();
      reject(error);
    };
    const onAbort = () => fail(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error: Error) => fail(toConnectError(error, config.secure)));
    socket.on('upgrade', (response: IncomingMessage) => {
      headers = copyHeaders(response.headers);
    });
    socket.on('unexpected-response', (_request: ClientRequest, response: IncomingMessage) => {
      readRefusal(response).then((body) => fail(new HandshakeError(response.statusCode ?? 0, body)));
    });
    socket.once('open', () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      adopt(socket, headers);
      resolve();
    });
  });
}

/** The first bytes of a refusal's body as text; never rejects. */
function readRefusal(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      response.removeAllListeners('data');
      response.destroy();
      resolve(Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY_BYTES).toString('utf8'));
    };
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REFUSAL_BODY_BYTES) done();
    });
    response.once('end', done);
    response.once('error', done);
    response.once('aborted', done);
  });
}

/** Turns an engine or system error into a Duet error that holds plain values only. */
export function toConnectError(error: Error & { code?: string; errors?: Error[] }, secure: boolean): Error {
  const code = typeof error.code === 'string' ? error.code : undefined;
  // A host with several addresses fails with an AggregateError whose own message is empty.
  const message =
    error.message || error.errors?.map((each) => each.message).join('; ') || code || 'the connection failed';
  if (secure && code !== undefined && TLS_FAILURE.test(code)) return new TlsError(`TLS handshake failed: ${message}`, code);
  return new ConnectError(`Could not open the WebSocket connection: ${message}`, code);
}

function copyHeaders(headers: IncomingHttpHeaders): HttpHeaders {
  const copy: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) copy[name] = Array.isArray(value) ? Object.freeze([...value]) : value;
  }
  return Object.freeze(copy);
}
