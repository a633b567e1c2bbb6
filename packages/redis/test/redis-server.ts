// Test support: a real `redis-server` (Debian's package) on a free port of 127.0.0.1, with no
// persistence and a temporary directory, started as a child process and stopped by its PID; it
// can be frozen (SIGSTOP: its sockets stay open, nothing answers) and thawed. Also a TCP server
// that accepts connections and never answers. Also used by samples/cluster's test.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One redis-server process; `restart()` starts a fresh one (empty) on the same port. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private frozen = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Starts redis-server on a free port; resolves once it accepts connections. */
  static async start(): Promise<RedisServer> {
    if (!existsSync(REDIS_SERVER)) {
      throw new Error(`${REDIS_SERVER} is missing: install Debian's redis-server (apt-get install redis-server; .ci/run does)`);
    }
    const server = new RedisServer(await freePort(), mkdtempSync(path.join(tmpdir(), 'duet-redis-')));
    try {
      await server.launch();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's PID while it runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Stops the process without ending it (SIGSTOP): the kernel still accepts connections and data, Redis answers nothing. */
  freeze(): void {
    if (this.pid === undefined) throw new Error('redis-server is not running');
    this.child!.kill('SIGSTOP');
    this.frozen = true;
  }

  /** Lets a frozen process run again (SIGCONT). */
  thaw(): void {
    if (this.frozen && this.pid !== undefined) this.child!.kill('SIGCONT');
    this.frozen = false;
  }

  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    this.thaw(); // a stopped process would hold SIGTERM until continued
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(force);
  }

  /** Stops the server and starts a new, empty one on the same port. */
  async restart(downMs = 0): Promise<void> {
    await this.kill();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private launch(): Promise<void> {
    this.output = '';
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('redis-server did not start within 5 s')), 5000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${error.message}; it printed:\n${this.output}`));
      };
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (/Ready to accept connections/.test(this.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`redis-server exited with ${code}`)));
    });
  }
}

/** A TCP server on 127.0.0.1 that accepts every connection, keeps what it receives and never answers. */
export class SilentServer {
  /** Every connection accepted, in order. */
  readonly sockets: Socket[] = [];
  /** Bytes received, over all connections. */
  received = '';
  private readonly closedByPeer = new Set<Socket>();
  private readonly server = createServer((socket) => {
    this.sockets.push(socket);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (this.received += chunk));
    // A FIN, or a reset when the peer destroys a socket with data unread.
    socket.on('end', () => this.closedByPeer.add(socket));
    socket.on('error', () => this.closedByPeer.add(socket));
  });

  private constructor() {}

  /** Listens on `port` (e.g. that of a redis-server just stopped), or on a free one. */
  static async start(port = 0): Promise<SilentServer> {
    const silent = new SilentServer();
    await new Promise<void>((resolve, reject) => {
      silent.server.once('error', reject);
      silent.server.listen(port, '127.0.0.1', () => resolve());
    });
    return silent;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections still open on the server's side that the peer has not closed. */
  get openByPeer(): number {
    return this.sockets.length - this.closedByPeer.size;
  }

  /** Destroys every connection and closes the server. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
