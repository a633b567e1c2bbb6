// Raw Bun.serve broadcast: every socket subscribes to one topic and a text message is published
// to it once (Bun fans it out in native code); the baseline for Duet's broadcast on Bun. Run by
// Bun only (servers.ts, runtime 'bun'); the few Bun shapes it needs are declared here.
interface TopicSocket {
  subscribe(topic: string): void;
}
interface TopicServer {
  readonly port: number;
  upgrade(request: Request): boolean;
  publish(topic: string, data: string): number;
}
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch(request: Request, server: TopicServer): Response | undefined;
    websocket: { open(socket: TopicSocket): void; message(socket: TopicSocket, message: string | Uint8Array): void; perMessageDeflate: boolean };
  }): TopicServer;
};

const TOPIC = 'everyone';
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: '127.0.0.1',
  fetch(request, bunServer) {
    if (new URL(request.url).pathname === '/ws' && bunServer.upgrade(request)) return undefined;
    return new Response('Not Found', { status: 404 });
  },
  websocket: {
    open(socket) {
      socket.subscribe(TOPIC);
    },
    message(_socket, message) {
      server.publish(TOPIC, typeof message === 'string' ? message : new TextDecoder().decode(message));
    },
    perMessageDeflate: false,
  },
});
console.log(`listening on ws://127.0.0.1:${server.port}/ws`);
