// The raw ws servers run on the very copy of ws that @duet/websocket runs on, so each pair
// compares the engine with the engine plus Duet, not two versions of ws.
import { createRequire } from 'node:module';
import type WebSocketModule from 'ws';

const duetRequire = createRequire(require.resolve('@duet/websocket/package.json'));
const ws = duetRequire('ws') as typeof WebSocketModule;

export const WebSocketServer = ws.WebSocketServer;
export const OPEN = ws.OPEN;
export type WebSocket = WebSocketModule;

/** The port to listen on: `PORT`, or a free one. */
export function listenPort(): number {
  return Number(process.env.PORT ?? 0);
}

/** The line the runner waits for. */
export function announce(server: { address(): unknown }): void {
  const { port } = server.address() as { port: number };
  console.log(`listening on ws://127.0.0.1:${port}/ws`);
}
