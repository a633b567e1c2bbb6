// Raw ws broadcast: a text message is sent to every open connection with a plain send loop.
import { wsPerMessageDeflate } from './deflate';
import { OPEN, WebSocketServer, announce, listenPort } from './ws-engine';

const server = new WebSocketServer({ host: '127.0.0.1', port: listenPort(), path: '/ws', perMessageDeflate: wsPerMessageDeflate });
server.on('connection', (ws) => {
  ws.on('message', (data) => {
    const text = (data as Buffer).toString();
    for (const client of server.clients) {
      if (client.readyState === OPEN) client.send(text);
    }
  });
});
server.on('listening', () => announce(server));
