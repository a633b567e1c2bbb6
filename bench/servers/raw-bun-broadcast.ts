// Raw Bun.serve broadcast: every socket subscribes to one topic and a text message is published
// to it once (Bun fans it out in native code); the baseline for Duet's broadcast on Bun.
import { serveWebSocket } from './bun-engine';

const TOPIC = 'everyone';
const decoder = new TextDecoder();
const server = serveWebSocket({
  open(socket) {
    socket.subscribe(TOPIC);
  },
  message(_socket, message) {
    server.publish(TOPIC, typeof message === 'string' ? message : decoder.decode(message));
  },
});
