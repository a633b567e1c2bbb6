// Duet broadcast as a user writes it today: every Caller is kept from @OnOpen to @OnClose, and
// a text message is written to each of them.
import 'reflect-metadata';
import { Container, injectable } from 'inversify';
import { Caller, OnClose, OnOpen, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

/** The open connections, shared by every connection's service instance. */
@injectable()
export class Callers {
  readonly all = new Set<Caller>();
}

@WebSocketService({ path: '/ws' })
export class BroadcastService {
  constructor(private readonly callers: Callers) {}

  @OnOpen()
  onOpen(caller: Caller): void {
    this.callers.all.add(caller);
  }

  @OnClose()
  onClose(caller: Caller): void {
    this.callers.all.delete(caller);
  }

  @OnText()
  onText(_caller: Caller, text: string): void {
    // When the connection registry's broadcast lands (issue 6), this loop becomes one call:
    //   this.registry.broadcast(text);
    // Only open callers are written to: a write to a closed one rejects.
    for (const caller of this.callers.all) {
      if (caller.isOpen()) void caller.writeTextMessage(text);
    }
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.bind(Callers).toSelf().inSingletonScope();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', services: [BroadcastService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`listening on ws://127.0.0.1:${app.port()}/ws`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
