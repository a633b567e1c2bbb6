// Raw ws echo: the received bytes go straight back, as received (text stays text).
import { WebSocketServer, announce, listenPort } from './ws-engine';

const server = new WebSocketServer({ host: '127.0.0.1', port: listenPort(), path: '/ws' });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
});
server.on('listening', () => announce(server));
