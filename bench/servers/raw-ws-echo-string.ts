// Raw ws echo doing what a Duet @OnText handler that takes and returns a string does: a text
// message is decoded to a string and the string is sent back; binary goes back as bytes.
import { WebSocketServer, announce, listenPort } from './ws-engine';

const server = new WebSocketServer({ host: '127.0.0.1', port: listenPort(), path: '/ws' });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(isBinary ? (data as Buffer) : (data as Buffer).toString()));
});
server.on('listening', () => announce(server));
