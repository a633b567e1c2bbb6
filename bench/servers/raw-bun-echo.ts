// Raw Bun.serve echo: each text message straight back as the same string (Bun hands text as a
// string), binary as the same bytes; the baseline Duet on Bun's native engine is measured against.
import { serveWebSocket } from './bun-engine';

serveWebSocket({
  message(socket, message) {
    socket.send(message);
  },
});
