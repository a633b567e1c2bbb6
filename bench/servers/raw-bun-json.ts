// Raw Bun.serve with hand-written JSON routing, as raw-ws-json.ts does on ws: parse, switch on
// `type`, stringify the reply. The baseline of Duet's @OnMessage on Bun's native engine.
import { serveWebSocket } from './bun-engine';

serveWebSocket({
  message(socket, message) {
    let parsed: { type?: unknown; data?: unknown };
    try {
      parsed = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
    } catch {
      socket.send(JSON.stringify({ type: 'error', error: 'invalid JSON' }));
      return;
    }
    switch (parsed.type) {
      case 'echo':
        socket.send(JSON.stringify({ type: 'echo', data: parsed.data }));
        break;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong' }));
        break;
      default:
        socket.send(JSON.stringify({ type: 'error', error: 'unknown message type' }));
    }
  },
});
