// A server under test as a child process: started with the memory harness preloaded, its port
// read from the line it prints, asked for its memory over IPC, and stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { residentBytes } from './proc';
import { BENCH_ROOT, REPO_ROOT, type ServerDefinition, bunBinary } from './servers';

const LISTENING = /listening on ws:\/\/[^:/]+:(\d+)\//;
const HARNESS = path.join(BENCH_ROOT, 'servers/harness.cjs');

export interface MemoryReport {
  /** Resident set size, from /proc. */
  rss: number;
  heapUsed: number;
  external: number;
  bufferutil: boolean;
}

/** The command that runs `command args` on processor `cpu` (taskset execs it: the PID stays). */
export function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Within this many bytes, two reads of RSS 50 ms apart count as settled. */
const SETTLED_WITHIN = 64 * 1024;

/** The process's RSS once two reads 50 ms apart agree (at most 1 s of reads). */
async function settledResidentBytes(pid: number): Promise<number> {
  let last = residentBytes(pid);
  for (let read = 0; read < 20; read++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = residentBytes(pid);
    if (Math.abs(now - last) <= SETTLED_WITHIN) return now;
    last = now;
  }
  return last;
}

export class ServerProcess {
  output = '';
  private nextQuery = 1;
  private readonly exited: Promise<void>;

  private constructor(
    readonly definition: ServerDefinition,
    private readonly child: ChildProcess,
    readonly port: number,
    exited: Promise<void>,
  ) {
    this.exited = exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Starts the server; with `cpu` it runs on that processor only (through taskset), and
   * `nodeArgs` go to node (e.g. --cpu-prof).
   */
  static async start(definition: ServerDefinition, cpu?: number, nodeArgs: string[] = [], timeoutMs = 30000): Promise<ServerProcess> {
    if (definition.runtime === 'bun') return ServerProcess.startOnBun(definition, cpu, timeoutMs);
    const args = ['--expose-gc', ...nodeArgs];
    if (definition.runtime === 'ts') args.push('-r', 'ts-node/register/transpile-only');
    const root = definition.root ?? REPO_ROOT;
    args.push('-r', HARNESS, path.join(root, definition.entry));
    const env: NodeJS.ProcessEnv = { ...process.env, ...definition.env, PORT: '0' };
    if (definition.tsProject !== undefined) env.TS_NODE_PROJECT = path.join(root, definition.tsProject);
    if (definition.bufferutil) {
      // ws is the one @duet/websocket depends on, at the repository root, where bufferutil is
      // installed as its optional dependency; NODE_PATH adds the bench's pinned copy, should the
      // root's have failed to install.
      env.NODE_PATH = path.join(BENCH_ROOT, 'node_modules');
      delete env.WS_NO_BUFFER_UTIL;
    } else {
      env.WS_NO_BUFFER_UTIL = '1';
    }
    const [command, commandArgs] = pinned(cpu, process.execPath, args);
    const child = spawn(command, commandArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    return ServerProcess.listening(definition, child, timeoutMs);
  }

  /**
   * A server run by Bun, with the same harness preloaded (Bun speaks Node's IPC): its memory is
   * read after two full collections, as a Node server's is. Its profile commands are Node's
   * inspector alone (the harness answers them with an error there). Run from the folder above
   * the entry (samples/, bench/), whose tsconfig Bun reads (decorators).
   */
  private static startOnBun(definition: ServerDefinition, cpu: number | undefined, timeoutMs: number): Promise<ServerProcess> {
    const bun = bunBinary();
    if (bun === undefined) return Promise.reject(new Error('no working Bun binary'));
    const entry = path.join(REPO_ROOT, definition.entry);
    const [command, commandArgs] = pinned(cpu, bun, ['--preload', HARNESS, entry]);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
    const child = spawn(command, commandArgs, { cwd: path.dirname(path.dirname(entry)), env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    return ServerProcess.listening(definition, child, timeoutMs);
  }

  /** Resolves once `child` printed the port it listens on. */
  private static async listening(definition: ServerDefinition, child: ChildProcess, timeoutMs: number): Promise<ServerProcess> {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let output = '';
    const append = (chunk: string) => {
      output = (output + chunk).slice(-20000);
    };
    child.stdout!.setEncoding('utf8').on('data', append);
    child.stderr!.setEncoding('utf8').on('data', append);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not print its port within ${timeoutMs} ms`), timeoutMs);
      const check = () => {
        const match = LISTENING.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(Number(match[1]));
        }
      };
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${definition.id} ${why}; it printed:\n${output}`));
      };
      child.stdout!.on('data', check);
      child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
    });
    const server = new ServerProcess(definition, child, port, exited);
    child.stdout!.on('data', (chunk: string) => (server.output = (server.output + chunk).slice(-20000)));
    child.stderr!.on('data', (chunk: string) => (server.output = (server.output + chunk).slice(-20000)));
    server.output = output;
    return server;
  }

  /** The server's memory, after two full garbage collections when `gc` is set. */
  async memory(gc: boolean): Promise<MemoryReport> {
    const answer = await this.ask<{ heapUsed: number; external: number; bufferutil: boolean }>('memory', { gc });
    // RSS from /proc rather than from the process itself, once it has settled: right after a
    // collection it may still hold the collector's own working memory for a few milliseconds
    // (seen on Bun as up to 3 MB, gone 100 ms later), which would be counted as connections'.
    const rss = gc ? await settledResidentBytes(this.pid) : residentBytes(this.pid);
    return { rss, heapUsed: answer.heapUsed, external: answer.external, bufferutil: answer.bufferutil };
  }

  /** Sends a command to the server's harness (servers/harness.cjs) and waits for its answer. */
  ask<T = Record<string, unknown>>(type: string, fields: Record<string, unknown> = {}, timeoutMs = 30000): Promise<T> {
    const id = this.nextQuery++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.definition.id} did not answer '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: { type?: string; id?: number; error?: string }) => {
        if (message?.type !== type || message.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (message.error !== undefined) reject(new Error(`${this.definition.id}: ${message.error}`));
        else resolve(message as T);
      };
      this.child.on('message', onMessage);
      this.child.send({ ...fields, type, id });
    });
  }

  /** Asks the server to exit by itself (so that --cpu-prof writes its profile) and waits. */
  async exit(timeoutMs = 10000): Promise<void> {
    if (!this.isRunning()) return;
    if (this.definition.runtime === 'bun') return this.stop(timeoutMs);
    await this.ask('exit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 1500): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
