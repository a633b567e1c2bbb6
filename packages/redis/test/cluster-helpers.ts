// Test support for the cross-process cases: a Duet process running fixtures/chat-node.ts
// (started with ts-node; under `bun test` with Bun, on its native engine; stopped by its PID),
// a bare backplane node in a process of its own (fixtures/backplane-node.ts), a `ws` client that
// keeps every text it receives, a backplane node that records what reaches it, and a wait with
// a deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import type { BackplaneMessage, BackplaneNode, ClusterRequest, ClusterSignal } from '@duet/websocket';

const root = path.join(__dirname, '../../..');
const RUNS_ON_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

/** Polls `condition` every 20 ms; rejects naming `what` after `ms`. */
export async function eventually(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(20);
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How a test process starts a TypeScript fixture: ts-node under Node, Bun on the sources under `bun test`. */
function fixtureArgs(fixture: string): string[] {
  return RUNS_ON_BUN
    ? ['--preload', path.join(root, 'scripts/bun-test-preload.js'), path.join(__dirname, 'fixtures', fixture)]
    : ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'fixtures', fixture)];
}

/** A fixture in a process of its own: what it printed, and its end, by its PID only. */
class FixtureProcess {
  output = '';
  private readonly exited: Promise<void>;

  protected constructor(protected readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Ends the process at once, as a crash would (SIGKILL): it says nothing to anyone. */
  async crash(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the process gracefully (SIGTERM), or kills it after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const force = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(force);
  }
}

/** A Duet app with a RedisBackplane, in a process of its own. */
export class DuetProcess extends FixtureProcess {
  /** Starts fixtures/chat-node.ts (or another fixture) on `redisUrl`; resolves with the process once it listens. */
  static async start(redisUrl: string, env: Record<string, string> = {}, fixture = 'chat-node.ts'): Promise<DuetProcess> {
    // Under `bun test` the process is Bun too (Bun's native engine), on the sources as the test is.
    const child = spawn(
      process.execPath,
      fixtureArgs(fixture),
      {
        cwd: root,
        env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'samples/tsconfig.json'), REDIS_URL: redisUrl, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const node = new DuetProcess(child);
    try {
      await eventually(() => /port=\d+/.test(node.output) || child.exitCode !== null, 15000, 'a Duet process to listen');
      if (child.exitCode !== null) throw new Error(`the Duet process exited; it printed:\n${node.output}`);
      // Under `bun test` the backplane must run over Bun's native engine (its rooms on Bun's pub/sub).
      if (RUNS_ON_BUN && !node.output.includes('engine=bun')) throw new Error(`the Duet process is not on the Bun engine:\n${node.output}`);
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  get port(): number {
    return Number(/port=(\d+)/.exec(this.output)![1]);
  }

  url(room: string): string {
    return `ws://127.0.0.1:${this.port}/chat/${room}`;
  }

  /** Log lines of the backplane, as the fixture prints them. */
  logs(level: string): string[] {
    return this.output.split('\n').filter((line) => line.startsWith(`log ${level} `));
  }

}

/** A `ws` client that keeps every text frame it receives, and closes within a second. */
export class TextRecorder {
  readonly texts: string[] = [];

  protected constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) this.texts.push(data.toString());
    });
    socket.on('error', () => {});
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
      setTimeout(() => this.socket.terminate(), 1000).unref();
    });
  }
}

/** A client of the chat fixture: its frames, and its `/count` and `/stats` questions. */
export class ChatClient extends TextRecorder {

  static connect(url: string): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const timer = setTimeout(() => reject(new Error(`no connection to ${url} within 5 s`)), 5000);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new ChatClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  send(text: string): void {
    this.socket.send(text);
  }

  /** The texts received that are not answers to `/count` or `/stats`. */
  get chat(): string[] {
    return this.texts.filter((text) => !/^(count|stats)=/.test(text));
  }

  /** Sends `/count` or `/stats` and resolves with the answer after the `=`. */
  async ask(command: '/count' | '/stats'): Promise<string> {
    const prefix = `${command.slice(1)}=`;
    const seen = this.texts.length;
    this.send(command);
    let answer: string | undefined;
    await eventually(
      () => (answer = this.texts.slice(seen).find((text) => text.startsWith(prefix))) !== undefined,
      3000,
      `an answer to ${command}`,
    );
    return answer!.slice(prefix.length);
  }

  /** `registry.stats()` of the process this client is connected to. */
  async stats(): Promise<{ connections: number; backplane: { undelivered: number; connected: boolean; missed: number } }> {
    return JSON.parse(await this.ask('/stats'));
  }
}

/** A backplane node for tests that drive a backplane directly: broadcasts go to `deliver`, the rest is ignored. */
export function nodeDelivering(deliver: (message: BackplaneMessage) => void = () => {}): BackplaneNode {
  return { deliver, answer: () => undefined, signal: () => {}, nodesLeft: () => {} };
}

/** What a `RecordingNode` was handed, in order, one line each: `signal <origin> <kind> <body>`, `left <nodes>`, `deliver <origin> <text>`. */
export class RecordingNode implements BackplaneNode {
  readonly events: string[] = [];
  readonly asked: ClusterRequest[] = [];
  readonly signals: ClusterSignal[] = [];
  readonly left: string[][] = [];

  /** `answerWith` computes each answer (default: who answers, and the request it got). */
  constructor(
    readonly id: string,
    public answerWith: (request: ClusterRequest) => unknown = (request) => ({ from: id, kind: request.kind, body: request.body }),
  ) {}

  deliver(message: BackplaneMessage): void {
    this.events.push(`deliver ${message.origin} ${message.text}`);
  }

  answer(request: ClusterRequest): unknown {
    this.asked.push(request);
    return this.answerWith(request);
  }

  signal(signal: ClusterSignal): void {
    this.signals.push(signal);
    this.events.push(`signal ${signal.origin} ${signal.kind} ${JSON.stringify(signal.body)}`);
  }

  nodesLeft(nodes: readonly string[]): void {
    this.left.push([...nodes]);
    this.events.push(`left ${nodes.join(',')}`);
  }
}

/**
 * A bare RedisBackplane node (no Duet app) in a process of its own, running
 * fixtures/backplane-node.ts: it answers every request with its id and PID, and prints what
 * reaches it. Stopped gracefully (SIGTERM) or crashed (SIGKILL), by its PID.
 */
export class BackplaneProcess extends FixtureProcess {
  /** Starts a node `nodeId` on `redisUrl`; `env` may set COUNT_TTL, CHANNEL, KEY_PREFIX. Resolves once it started. */
  static async start(redisUrl: string, nodeId: string, env: Record<string, string> = {}): Promise<BackplaneProcess> {
    const child = spawn(process.execPath, fixtureArgs('backplane-node.ts'), {
      cwd: root,
      env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.json'), REDIS_URL: redisUrl, NODE_ID: nodeId, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new BackplaneProcess(child);
    try {
      await eventually(() => node.output.includes('started') || child.exitCode !== null, 15000, 'a backplane process to start');
      if (child.exitCode !== null) throw new Error(`the backplane process exited; it printed:\n${node.output}`);
    } catch (error) {
      await node.crash();
      throw error;
    }
    return node;
  }

  get pid(): number {
    return this.child.pid!;
  }

}
