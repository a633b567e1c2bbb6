// Raw Bun.serve echo: each text message straight back as the same string (Bun hands text as a
// string), binary as the same bytes; the baseline Duet on Bun's native engine is measured against.
// Run by Bun only (servers.ts, runtime 'bun'); the few Bun shapes it needs are declared here.
interface EchoSocket {
  send(data: string | Uint8Array): number;
}
interface EchoServer {
  readonly port: number;
  upgrade(request: Request): boolean;
}
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch(request: Request, server: EchoServer): Response | undefined;
    websocket: { message(socket: EchoSocket, message: string | Uint8Array): void; perMessageDeflate: boolean };
  }): EchoServer;
};

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: '127.0.0.1',
  fetch(request, bunServer) {
    if (new URL(request.url).pathname === '/ws' && bunServer.upgrade(request)) return undefined;
    return new Response('Not Found', { status: 404 });
  },
  websocket: {
    message(socket, message) {
      socket.send(message);
    },
    perMessageDeflate: false,
  },
});
console.log(`listening on ws://127.0.0.1:${server.port}/ws`);
