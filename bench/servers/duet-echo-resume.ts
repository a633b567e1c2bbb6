// samples/echo's service with resumable sessions (`resume` with its defaults: a 30 s window,
// 1,000 messages or 1 MiB kept per session): what a session costs a client that asks for one
// (`?duet-resume=new`), and what the option costs a client that does not.
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, OnBinary, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

@WebSocketService({ path: '/ws', resume: {} })
export class ResumableEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', services: [ResumableEchoService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`listening on ws://127.0.0.1:${app.port()}/ws`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
