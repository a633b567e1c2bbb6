// Load test (not part of `npm test`): `npm run load -- [--connections N]`.
// Holds N (default 10,000) concurrent connections to a Duet app in another process, sends one
// broadcast to all of them and times its fan-out, closes them all, and checks the registry is
// empty, memory is back near where it started and no handles are left. Prints the figures.
// Every loop is bounded; the whole run gives up after five minutes.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import type { ServerStats } from './server';

const connectionsWanted = Number(argument('--connections') ?? 10000);
const BATCH = 500;

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

class ServerProcess {
  private next = 1;
  private readonly waiting = new Map<number, (body: unknown) => void>();
  readonly ready: Promise<{ port: number }>;

  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve) => this.waiting.set(0, resolve as (body: unknown) => void));
    child.on('message', (message: { id: number; body: unknown }) => {
      this.waiting.get(message.id)?.(message.body);
      this.waiting.delete(message.id);
    });
  }

  ask<T>(command: string): Promise<T> {
    const id = this.next++;
    this.child.send({ id, command });
    return new Promise((resolve) => this.waiting.set(id, resolve as (body: unknown) => void));
  }
}

async function openAll(port: number, count: number, onMessage: () => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/load`, { perMessageDeflate: false });
      socket.on('message', onMessage);
      sockets.push(socket);
      return new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
    });
    await Promise.all(batch);
  }
  return sockets;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const child = fork(path.join(__dirname, 'server.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '--expose-gc'],
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.json') },
  });
  const server = new ServerProcess(child);
  const giveUp = setTimeout(() => {
    console.error('load test: gave up after 5 minutes');
    child.kill();
    process.exit(1);
  }, 300_000);
  try {
    const { port } = await server.ready;
    const before = await server.ask<ServerStats>('stats');
    let received = 0;
    let allReceived: () => void = () => {};
    const everyone = new Promise<void>((resolve) => (allReceived = resolve));
    const opened = Date.now();
    const sockets = await openAll(port, connectionsWanted, () => {
      if (++received === connectionsWanted) allReceived();
    });
    const openMs = Date.now() - opened;
    const held = await server.ask<ServerStats>('stats');
    const sent = Date.now();
    const broadcast = await server.ask<{ sent: number; skipped: number; writeMs: number }>('broadcast');
    await everyone;
    const fanOutMs = Date.now() - sent;
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            socket.once('close', () => resolve());
            socket.close(1000);
          }),
      ),
    );
    let after = await server.ask<ServerStats>('stats');
    for (let i = 0; i < 50 && after.connections > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await server.ask<ServerStats>('stats');
    }
    const perConnection = (held.heapUsed - before.heapUsed) / connectionsWanted;
    const rssPerConnection = (held.rss - before.rss) / connectionsWanted;
    console.log(`connections held:          ${held.connections} (opened in ${openMs} ms)`);
    console.log(`server heap per connection: ${(perConnection / 1024).toFixed(2)} KiB; RSS per connection: ${(rssPerConnection / 1024).toFixed(2)} KiB`);
    console.log(`broadcast:                 handed to ${broadcast.sent} sockets in ${broadcast.writeMs.toFixed(1)} ms, all received after ${fanOutMs} ms`);
    console.log(`memory:                    heap ${mib(before.heapUsed)} → ${mib(held.heapUsed)} held → ${mib(after.heapUsed)} after close; RSS ${mib(before.rss)} → ${mib(held.rss)} → ${mib(after.rss)}`);
    console.log(`after close:               registry ${after.connections}, handles ${before.handles} before / ${after.handles} after`);
    const failures: string[] = [];
    if (held.connections !== connectionsWanted) failures.push(`held ${held.connections}, wanted ${connectionsWanted}`);
    if (broadcast.sent !== connectionsWanted || received !== connectionsWanted) failures.push(`broadcast reached ${received}`);
    if (after.connections !== 0) failures.push(`registry still holds ${after.connections}`);
    if (after.handles > before.handles) failures.push(`handles grew from ${before.handles} to ${after.handles}`);
    if (after.heapUsed > before.heapUsed + 0.2 * (held.heapUsed - before.heapUsed) + 2 * 1024 * 1024) {
      failures.push(`heap did not come back: ${mib(after.heapUsed)} after, ${mib(before.heapUsed)} before`);
    }
    await server.ask('stop');
    if (failures.length > 0) {
      console.error(`load test FAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    } else {
      console.log('load test passed');
    }
  } finally {
    clearTimeout(giveUp);
    child.kill();
  }
}

void main();
