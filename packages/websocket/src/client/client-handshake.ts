// One connection attempt: opens a `ws` socket with the client's configuration and settles
// with the open socket or with a typed error (HandshakeError for an HTTP refusal, TlsError,
// ConnectError for the rest). The socket is handed over synchronously on 'open', before any
// of its messages can be emitted, so none is missed. `handshakeTimeout` is a deadline from the
// start of the attempt: `ws`'s own option only notices a silent socket, and a server writing
// its answer one byte at a time would hold the attempt open for as long as it liked.
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { HttpHeaders, ResolvedClientConfig } from './client-config';
import { ConnectError, HandshakeError, TlsError } from './client-errors';
import { MAX_WINDOW_BITS, type ResolvedCompression } from '../compression';

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
      maxPayload: config.maxFrameSize,
      perMessageDeflate: offeredDeflate(config.compression),
      followRedirects: false,
      // With an onPing hook the application answers pings itself.
      autoPong: config.pingPongHandler?.onPing === undefined,
    });
    const deadline = setTimeout(() => onDeadline(), config.handshakeTimeoutMs);
    let headers: HttpHeaders = {};
    let refusal: Refusal | undefined;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settle();
      socket.terminate();
      refusal?.stop();
      reject(error);
    };
    const onAbort = () => fail(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    const onDeadline = () => {
      // A refusal whose status came in time is still a refusal: its status and the body so far.
      if (refusal !== undefined) fail(refusal.error());
      else fail(new ConnectError(`The opening handshake timed out after ${config.handshakeTimeoutMs / 1000} s (handshakeTimeout).`, 'ETIMEDOUT'));
    };
    socket.on('error', (error: Error) => fail(toConnectError(error, config.secure)));
    socket.on('upgrade', (response: IncomingMessage) => {
      headers = copyHeaders(response.headers);
    });
    socket.on('unexpected-response', (_request: ClientRequest, response: IncomingMessage) => {
      refusal = new Refusal(response, fail);
    });
    socket.once('open', () => {
      settle();
      socket.removeAllListeners();
      adopt(socket, headers);
      resolve();
    });
  });
}

/** A refused handshake's status and the first bytes of its body, read until the body ends. */
class Refusal {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly response: IncomingMessage,
    done: (error: HandshakeError) => void,
  ) {
    const end = () => {
      this.stop();
      done(this.error());
    };
    response.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      if (this.size >= MAX_REFUSAL_BODY_BYTES) end();
    });
    response.once('end', end);
    response.once('error', end);
    response.once('aborted', end);
  }

  /** The refusal as it stands: the status and the body read so far (at most 4 KiB). */
  error(): HandshakeError {
    const body = Buffer.concat(this.chunks).subarray(0, MAX_REFUSAL_BODY_BYTES).toString('utf8');
    return new HandshakeError(this.response.statusCode ?? 0, body);
  }

  /** Reads no more. */
  stop(): void {
    this.response.removeAllListeners('data');
    this.response.destroy();
  }
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

/**
 * ws's permessage-deflate options for the client's offer. `clientNoContextTakeover` is never
 * false: to ws that would refuse a server asking for it, which RFC 7692 lets a server do.
 */
function offeredDeflate(compression: ResolvedCompression | undefined): false | WebSocket.PerMessageDeflateOptions {
  if (compression === undefined) return false;
  return {
    threshold: compression.threshold,
    concurrencyLimit: compression.concurrencyLimit,
    zlibDeflateOptions: { level: compression.level, memLevel: compression.memLevel },
    serverNoContextTakeover: compression.serverNoContextTakeover,
    clientNoContextTakeover: compression.clientNoContextTakeover || undefined,
    serverMaxWindowBits: compression.serverMaxWindowBits === MAX_WINDOW_BITS ? undefined : compression.serverMaxWindowBits,
    clientMaxWindowBits: compression.clientMaxWindowBits,
  };
}
