// What the raw Bun.serve servers share: Bun's shapes they use (declared here, so the bench
// needs no bun-types), the upgrade of /ws on 127.0.0.1:PORT, and the line the runner waits for.
// Run by Bun only (servers.ts, runtime 'bun').
export interface RawBunSocket {
  send(data: string | Uint8Array): number;
  subscribe(topic: string): void;
}

export interface RawBunServer {
  readonly port: number;
  upgrade(request: Request): boolean;
  publish(topic: string, data: string): number;
}

export interface RawBunHandlers {
  open?(socket: RawBunSocket): void;
  message(socket: RawBunSocket, message: string | Uint8Array): void;
}

declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch(request: Request, server: RawBunServer): Response | undefined;
    websocket: RawBunHandlers & { perMessageDeflate: boolean };
  }): RawBunServer;
};

/** Serves `handlers` on ws://127.0.0.1:PORT/ws (PORT 0: a free port) and announces the port. */
export function serveWebSocket(handlers: RawBunHandlers): RawBunServer {
  const server = Bun.serve({
    port: Number(process.env.PORT ?? 0),
    hostname: '127.0.0.1',
    fetch(request, bunServer) {
      if (new URL(request.url).pathname === '/ws' && bunServer.upgrade(request)) return undefined;
      return new Response('Not Found', { status: 404 });
    },
    websocket: { ...handlers, perMessageDeflate: false },
  });
  console.log(`listening on ws://127.0.0.1:${server.port}/ws`);
  return server;
}
