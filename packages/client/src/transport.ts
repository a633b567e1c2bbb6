// The socket under a client, behind three events, so the client itself never touches a platform
// API: a WHATWG WebSocket here (browsers, Bun, Deno), `ws` in node-transport.ts.
import type { ResolvedOptions, WebSocketConstructor, WebSocketLike } from './options';

export interface TransportEvents {
  open(): void;
  message(data: string | Uint8Array): void;
  /** Once, when the socket is gone; `status` is the HTTP status of a refused upgrade when known. */
  close(code: number, reason: string, status?: number): void;
}

export interface Transport {
  send(text: string): void;
  /** Starts the close handshake; `close` follows. */
  close(code: number, reason: string): void;
  /** Drops the socket at once (a dead server): no event follows. */
  abort(): void;
}

export type TransportFactory = (url: string, options: ResolvedOptions, events: TransportEvents) => Transport;

/** A transport on a WHATWG WebSocket: `options.WebSocket`, else the global one. */
export const webSocketTransport: TransportFactory = (url, options, events) => {
  const Implementation = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Implementation === undefined) throw new TypeError('No WebSocket implementation: pass one as the WebSocket option.');
  const socket: WebSocketLike = new Implementation(url, options.protocols);
  socket.binaryType = 'arraybuffer';
  let done = false;
  socket.onopen = () => events.open();
  socket.onmessage = (event) => {
    const { data } = event;
    events.message(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer));
  };
  // A failed connect fires error then close (1006): the close is the one that counts.
  socket.onerror = () => {};
  socket.onclose = (event) => {
    if (done) return;
    done = true;
    events.close(event.code, event.reason);
  };
  return {
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
    abort() {
      done = true;
      socket.onopen = socket.onmessage = socket.onclose = null;
      // A browser has no terminate(): start a close and stop listening; the page forgets the socket.
      try {
        socket.close(4000, 'server timeout');
      } catch {
        // already closing
      }
    },
  };
};
