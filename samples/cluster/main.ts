// Scale-out on Redis: this process starts two Duet processes (children running this same
// file), each on its own port, both with a RedisBackplane on one Redis. A chat message from a
// client of one process reaches the clients of the same room on the other.
//   REDIS_URL  Redis both processes share (default redis://127.0.0.1:6379)
//   PORT_A     WebSocket port of process a (default 8081)
//   PORT_B     WebSocket port of process b (default 8082)
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { Container } from 'inversify';
import {
  Caller,
  ConnectionRegistry,
  OnOpen,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { RedisBackplane } from '@duet/redis';

const NODE = process.env.DUET_CLUSTER_NODE;

/** `/chat/:room`: joins the room at open; a text goes to everyone else in the room, on every process. */
@WebSocketService({ path: '/chat/:room' })
export class ChatService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnOpen()
  onOpen(caller: Caller): void {
    caller.join(caller.params.room);
  }

  @OnText()
  async onText(caller: Caller, text: string): Promise<void> {
    await this.registry.to(caller.params.room).except(caller).writeTextMessage(`from node ${NODE}: ${text}`);
  }
}

/** One Duet process of the cluster. */
async function runNode(): Promise<void> {
  const container = new Container();
  container.load(
    webSocketModule({
      port: Number(process.env.PORT),
      services: [ChatService],
      backplane: new RedisBackplane({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
    }),
  );
  const app = await WebSocketApplication.start(container);
  console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`);
  console.log(`node ${NODE}: ws://localhost:${app.port()}/chat/<room>`);
  const stop = () => void app.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The parent went away without a signal (it was killed): stop too, leave no orphan.
  process.once('disconnect', stop);
  process.channel?.unref();
}

/** Starts both processes and stops them with itself. */
function runCluster(): void {
  const ports = { a: process.env.PORT_A ?? '8081', b: process.env.PORT_B ?? '8082' };
  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = code;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  for (const [node, port] of Object.entries(ports)) {
    const child = spawn(process.execPath, [...process.execArgv, __filename], {
      env: { ...process.env, DUET_CLUSTER_NODE: node, PORT: port },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('exit', () => stopAll(1)); // a process that ends on its own takes the cluster down
    children.push(child);
  }
  console.log(`Try it: connect one client to each process's /chat/lobby (the URLs printed below),
send a text on one and read it on the other. Press Ctrl+C to stop.`);
  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));
}

if (require.main === module) {
  if (NODE === undefined) runCluster();
  else
    runNode().catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
