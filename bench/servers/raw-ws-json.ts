// Raw ws with hand-written JSON routing: parse, switch on `type`, stringify the reply.
import { wsPerMessageDeflate } from './deflate';
import { WebSocketServer, announce, listenPort } from './ws-engine';

const server = new WebSocketServer({ host: '127.0.0.1', port: listenPort(), path: '/ws', perMessageDeflate: wsPerMessageDeflate });
server.on('connection', (ws) => {
  ws.on('message', (data) => {
    let message: { type?: unknown; data?: unknown };
    try {
      message = JSON.parse((data as Buffer).toString());
    } catch {
      ws.close(1007, 'invalid JSON');
      return;
    }
    switch (message.type) {
      case 'echo':
        ws.send(JSON.stringify({ type: 'echo', data: message.data }));
        break;
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong' }));
        break;
      default:
        ws.send(JSON.stringify({ type: 'error', error: 'unknown message type' }));
    }
  });
});
server.on('listening', () => announce(server));
