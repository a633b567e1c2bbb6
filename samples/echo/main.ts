// The echo sample: text back as the same text, binary back as the same binary, on /ws.
// It is the service protocol conformance runs are made against.
//   PORT            listening port (default 8080; 0 picks a free one)
//   MAX_FRAME_SIZE  largest message accepted, in bytes (default 65536)
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnBinary, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

const maxFrameSize = Number(process.env.MAX_FRAME_SIZE ?? 65536);

@WebSocketService({ path: '/ws', maxFrameSize })
export class EchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

export async function main(): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 8080), services: [EchoService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`echo service listening on ws://localhost:${app.port()}/ws`);
  return app;
}

if (require.main === module) {
  main().then(
    (app) => {
      const stop = () => void app.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
