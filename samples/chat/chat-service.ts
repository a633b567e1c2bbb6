// The chat service of the demo: `/chat/:room?name=…` joins the room; every text message goes
// to everyone in the room (the sender included, so every page shows the same history).
import { inject } from 'inversify';
import { Caller, ConnectionRegistry, OnClose, OnOpen, OnText, UpgradeError, UpgradeRequest, OnUpgrade, WebSocketService } from '@duet/websocket';

const MAX_NAME = 32;
const MAX_TEXT = 2000;

export interface ChatEvent {
  kind: 'message' | 'joined' | 'left';
  room: string;
  from: string;
  text?: string;
  at: string;
}

@WebSocketService({ path: '/chat/:room', idleTimeout: 600, maxFrameSize: 8192, pingInterval: 30 })
export class ChatService {
  constructor(@inject(ConnectionRegistry) private readonly registry: ConnectionRegistry) {}

  @OnUpgrade()
  onUpgrade(request: UpgradeRequest): void {
    const name = request.query.get('name')?.trim() ?? '';
    if (name === '' || name.length > MAX_NAME) throw new UpgradeError(400, `name must be 1 to ${MAX_NAME} characters`);
  }

  @OnOpen()
  onOpen(caller: Caller): Promise<unknown> {
    caller.setAttribute('name', caller.request.query.get('name')!.trim());
    caller.join(caller.params.room);
    return this.announce(caller, 'joined');
  }

  @OnText()
  async onText(caller: Caller, text: string): Promise<void> {
    const trimmed = text.trim();
    if (trimmed === '') return;
    // Awaited, not returned: what a text handler returns is sent back to the sender as a reply.
    await this.announce(caller, 'message', trimmed.slice(0, MAX_TEXT));
  }

  @OnClose()
  onClose(caller: Caller): Promise<unknown> {
    return this.announce(caller, 'left');
  }

  private announce(caller: Caller, kind: ChatEvent['kind'], text?: string): Promise<unknown> {
    const room = caller.params.room;
    const event: ChatEvent = { kind, room, from: caller.getAttribute<string>('name') ?? '?', text, at: new Date().toISOString() };
    return this.registry.to(room).writeMessage(event);
  }
}
