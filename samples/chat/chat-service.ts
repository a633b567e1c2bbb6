// The chat service of the demo: `/chat/:room?name=…` joins the room; every `say` goes to everyone
// in the room as a `said` event (the sender included, so every page shows the same history), and
// is answered with the time it was taken. The contract (chat-contract.ts) gives the path and the
// schemas; the page speaks it through @duet/client.
import { inject } from 'inversify';
import { Caller, ConnectionRegistry, OnClose, OnMessage, OnOpen, OnUpgrade, UpgradeError, UpgradeRequest, WebSocketService } from '@duet/websocket';
import { chat } from './chat-contract';

const MAX_NAME = 32;

type ChatCaller = Caller<typeof chat>;

@WebSocketService({ contract: chat, idleTimeout: 600, maxFrameSize: 8192, pingInterval: 30 })
export class ChatService {
  constructor(@inject(ConnectionRegistry) private readonly registry: ConnectionRegistry) {}

  @OnUpgrade()
  onUpgrade(request: UpgradeRequest): void {
    const name = request.query.get('name')?.trim() ?? '';
    if (name === '' || name.length > MAX_NAME) throw new UpgradeError(400, `name must be 1 to ${MAX_NAME} characters`);
  }

  @OnOpen()
  onOpen(caller: ChatCaller): Promise<unknown> {
    caller.setAttribute('name', caller.request.query.get('name')!.trim());
    caller.join(caller.params.room);
    return this.announce(caller, 'joined');
  }

  @OnMessage('say')
  async onSay(caller: ChatCaller, message: { text: string }): Promise<{ at: string }> {
    const at = new Date().toISOString();
    await this.registry.to(caller.params.room).emit<typeof chat, 'said'>('said', { ...this.member(caller, at), text: message.text });
    return { at };
  }

  @OnClose()
  onClose(caller: ChatCaller): Promise<unknown> {
    return this.announce(caller, 'left');
  }

  private announce(caller: ChatCaller, event: 'joined' | 'left'): Promise<unknown> {
    return this.registry.to(caller.params.room).emit<typeof chat, typeof event>(event, this.member(caller, new Date().toISOString()));
  }

  private member(caller: ChatCaller, at: string): { room: string; from: string; at: string } {
    return { room: caller.params.room, from: caller.getAttribute<string>('name') ?? '?', at };
  }
}
