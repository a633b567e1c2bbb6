// The transport on Node: `ws`, because Node's global WebSocket can neither send headers nor take
// TLS options nor tell the HTTP status of a refused upgrade.
import WebSocket from 'ws';
import { type TransportFactory, webSocketTransport } from './transport';

export const nodeTransport: TransportFactory = (url, options, events) => {
  if (options.WebSocket !== undefined) return webSocketTransport(url, options, events);
  const socket = new WebSocket(url, options.protocols, { ...options.tls, headers: options.headers });
  let status: number | undefined;
  socket.on('open', () => events.open());
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    events.message(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString());
  });
  socket.on('unexpected-response', (request, response) => {
    status = response.statusCode;
    response.resume();
    socket.terminate();
  });
  socket.on('error', () => {}); // a close follows every error
  socket.once('close', (code: number, reason: Buffer) => events.close(code, reason.toString(), status));
  return {
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
    abort() {
      socket.removeAllListeners('close');
      socket.removeAllListeners('message');
      socket.terminate();
    },
  };
};
