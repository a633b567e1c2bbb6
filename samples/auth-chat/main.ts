// An authenticated chat: clients join `/chat/:room` with a JWT (an `Authorization: Bearer`
// header, or `?access_token=` from a browser), must hold the `chat` scope, and every message
// goes to everyone in the same room as `<user>: <text>`.
//   PORT        WebSocket port (default 8080)
//   JWT_SECRET  the HS256 secret tokens are signed with (a development default is used, loudly)
import 'reflect-metadata';
import { Container, injectable } from 'inversify';
import { SignJWT } from 'jose';
import {
  Caller,
  OnClose,
  OnOpen,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';

const DEVELOPMENT_SECRET = 'development-only-secret-change-me-0123456789';
const secret = process.env.JWT_SECRET ?? DEVELOPMENT_SECRET;

/** Who is in which room; shared by every connection. */
@injectable()
export class Rooms {
  private readonly members = new Map<string, Set<Caller>>();

  join(room: string, caller: Caller): void {
    let members = this.members.get(room);
    if (members === undefined) this.members.set(room, (members = new Set()));
    members.add(caller);
  }

  leave(room: string, caller: Caller): void {
    const members = this.members.get(room);
    members?.delete(caller);
    if (members?.size === 0) this.members.delete(room);
  }

  async send(room: string, text: string): Promise<void> {
    await Promise.all([...(this.members.get(room) ?? [])].map((member) => member.writeTextMessage(text).catch(() => {})));
  }
}

@WebSocketService({
  path: '/chat/:room',
  auth: [{ type: 'jwt', secret, algorithms: ['HS256'], queryParam: 'access_token' }],
  requiredScopes: ['chat'],
})
export class ChatRoomService {
  constructor(private readonly rooms: Rooms) {}

  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    this.rooms.join(caller.params.room, caller);
    return this.rooms.send(caller.params.room, `* ${caller.principal?.name} joined ${caller.params.room}`);
  }

  @OnText()
  onText(caller: Caller, text: string): Promise<void> {
    return this.rooms.send(caller.params.room, `${caller.principal?.name}: ${text}`);
  }

  @OnClose()
  onClose(caller: Caller): Promise<void> {
    this.rooms.leave(caller.params.room, caller);
    return this.rooms.send(caller.params.room, `* ${caller.principal?.name} left`);
  }
}

/** Signs a token for trying the sample by hand. */
export function developmentToken(user: string): Promise<string> {
  return new SignJWT({ scope: 'chat' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

async function main(): Promise<void> {
  const container = new Container();
  container.bind(Rooms).toSelf().inSingletonScope();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 8080), services: [ChatRoomService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`);
  if (secret === DEVELOPMENT_SECRET) {
    console.warn('WARNING: JWT_SECRET is not set; using a development secret. Never do this in production.');
    const token = await developmentToken('alice');
    console.log(`Try: new WebSocket("ws://localhost:${app.port()}/chat/lobby?access_token=${token}")`);
  }
  app.enableShutdownHooks();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
