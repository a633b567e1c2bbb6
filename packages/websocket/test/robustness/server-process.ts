// The parent's side of hostile-server.ts: starts it as a child process (on 127.0.0.1, a free
// port), asks it for counters and memory over IPC, collects what it prints, and stops it by its
// PID. Whatever the child reports as an unhandled rejection or uncaught exception is kept in
// `problems`, and anything it prints that looks like one is found by `printedProblems()`.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { ChildMessage, ParentMessage, ServerSample, ServerStats } from './hostile-server';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(__dirname, 'hostile-server.ts');
const STARTUP_MS = 20000;
const RUNS_ON_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
const REQUEST_MS = 10000;

/** What Node prints for an unhandled rejection or an uncaught exception, and what the child prints for one. */
const PROBLEM_OUTPUT = /unhandledRejection|uncaughtException|UnhandledPromiseRejection|Unhandled promise rejection/i;

type Distributive<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface ServerEvent {
  readonly name: string;
  readonly detail?: Record<string, unknown>;
}

export class ServerProcess {
  /** Everything written to stderr (the log) and stdout. */
  stderr = '';
  stdout = '';
  readonly events: ServerEvent[] = [];
  readonly problems: string[] = [];
  readonly samples: ServerSample[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private readonly pending = new Map<number, (body: unknown) => void>();
  private nextId = 1;
  private listeners: (() => void)[] = [];

  private constructor(
    env: Record<string, string>,
    private readonly onReady: (port: number, engine: 'ws' | 'bun') => void,
  ) {
    // Under `bun test` the child is Bun too (Bun's native engine), on the sources as the parent is.
    const args = RUNS_ON_BUN
      ? ['--preload', path.join(ROOT, 'scripts/bun-test-preload.js'), SCRIPT]
      : ['--expose-gc', '-r', 'ts-node/register/transpile-only', SCRIPT];
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    this.child.on('message', (message: ChildMessage) => this.receive(message));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        resolve(code);
        this.wake();
      }),
    );
  }

  /** Starts the hostile server and resolves once it listens. */
  static start(env: Record<string, string> = {}): Promise<ServerProcess> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        server.kill();
        reject(new Error(`the hostile server did not start within ${STARTUP_MS} ms:\n${server.stderr}`));
      }, STARTUP_MS);
      const server: ServerProcess = new ServerProcess(env, (port, engine) => {
        clearTimeout(timer);
        server.port = port;
        server.engine = engine;
        resolve(server);
      });
      server.exited.then((code) => {
        clearTimeout(timer);
        if (server.port === 0) reject(new Error(`the hostile server exited (${code}) before listening:\n${server.stderr}`));
      });
    });
  }

  port = 0;
  /** The engine the hostile server runs on: 'bun' when the tests run under `bun test`. */
  engine: 'ws' | 'bun' = 'ws';

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  url(path: string): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** Counters (handler calls, closes by code, log lines by level and message) and a memory sample. */
  stats(): Promise<ServerStats> {
    return this.request({ type: 'stats' }) as Promise<ServerStats>;
  }

  /** A counter, 0 when it was never incremented. */
  async count(key: string): Promise<number> {
    return (await this.stats()).counts[key] ?? 0;
  }

  /** The sum of the counters whose key matches `pattern` (log lines worded in several ways, say). */
  async countMatching(pattern: RegExp): Promise<number> {
    const { counts } = await this.stats();
    return Object.entries(counts).reduce((sum, [key, value]) => (pattern.test(key) ? sum + value : sum), 0);
  }

  /** Calls `app.stop({ timeout })` in the child; resolves with how long it took. */
  async stopApp(timeoutSeconds: number): Promise<number> {
    const body = (await this.request({ type: 'stop', timeout: timeoutSeconds }, (timeoutSeconds + 5) * 1000)) as { ms: number };
    return body.ms;
  }

  /** Asks for a sample every `ms`; samples arrive in `samples` (and `onSample`). */
  async reportEvery(ms: number, onSample?: (sample: ServerSample) => void): Promise<ServerSample> {
    this.onSample = onSample;
    return (await this.request({ type: 'report-every', ms })) as ServerSample;
  }

  /** Waits until an event named `name` has arrived `times` times in all. */
  async waitForEvent(name: string, timeoutMs = 5000, times = 1): Promise<ServerEvent> {
    await this.until(() => this.events.filter((event) => event.name === name).length >= times, timeoutMs, `the event '${name}'`);
    return this.events.filter((event) => event.name === name)[times - 1];
  }

  /** Waits until a counter reaches `value` (polling the child). */
  async waitForCount(key: string | RegExp, value: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 0;
    while ((last = typeof key === 'string' ? await this.count(key) : await this.countMatching(key)) < value) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: '${key}' is ${last}, waited for ${value}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits until stderr matches `pattern`. */
  async waitForLog(pattern: RegExp, timeoutMs = 5000): Promise<void> {
    await this.until(() => pattern.test(this.stderr), timeoutMs, `a log line matching ${pattern}`);
  }

  /** Lines of its output that show an unhandled rejection or uncaught exception. */
  printedProblems(): string[] {
    return `${this.stderr}\n${this.stdout}`.split('\n').filter((line) => PROBLEM_OUTPUT.test(line));
  }

  /** Stops the child by its PID and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM');
    await this.exited;
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  private onSample: ((sample: ServerSample) => void) | undefined;

  private request(message: Distributive<ParentMessage>, timeoutMs = REQUEST_MS): Promise<unknown> {
    if (!this.alive) return Promise.reject(new Error(`the hostile server is not running:\n${this.stderr.slice(-2000)}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the hostile server did not answer '${message.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
      this.child.send({ ...message, id } as ParentMessage);
    });
  }

  private receive(message: ChildMessage): void {
    switch (message.type) {
      case 'ready':
        this.onReady(message.port, message.engine);
        break;
      case 'event':
        this.events.push({ name: message.name, detail: message.detail });
        break;
      case 'problem':
        this.problems.push(`${message.kind}: ${message.text}`);
        break;
      case 'reply':
        this.pending.get(message.id)?.(message.body);
        this.pending.delete(message.id);
        break;
      case 'sample':
        this.samples.push(message.sample);
        this.onSample?.(message.sample);
        break;
    }
    this.wake();
  }

  private async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.alive) {
        throw new Error(`${this.alive ? `timed out after ${timeoutMs} ms` : 'the hostile server exited'} waiting for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
