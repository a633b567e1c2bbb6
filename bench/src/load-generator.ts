// The runner's handle on the load generator process (load/loadgen.ts): one command at a time
// over IPC, each with a deadline.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import path from 'node:path';
import type { BroadcastResult, BroadcastSpec } from './load/broadcast';
import type { OpenIdleResult, OpenIdleSpec } from './load/idle';
import type { LoadCommand, LoadResponse, PhaseListener } from './load/loadgen';
import type { ThroughputResult, ThroughputSpec } from './load/throughput';
import { BENCH_ROOT, REPO_ROOT } from './servers';

export class LoadGenerator {
  private nextId = 1;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts the generator; with `cpu` it runs on that processor only. */
  static start(cpu?: number): LoadGenerator {
    const child = fork(path.join(BENCH_ROOT, 'src/load/loadgen.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: path.join(BENCH_ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // Pinned after the start, threads included (fork cannot go through taskset and keep IPC).
    if (cpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(child.pid)], { stdio: 'ignore' });
    return new LoadGenerator(child);
  }

  throughput(spec: ThroughputSpec, timeoutMs: number, onPhase?: PhaseListener): Promise<ThroughputResult> {
    return this.send({ kind: 'throughput', spec }, timeoutMs, onPhase) as Promise<ThroughputResult>;
  }

  broadcast(spec: BroadcastSpec, timeoutMs: number, onPhase?: PhaseListener): Promise<BroadcastResult> {
    return this.send({ kind: 'broadcast', spec }, timeoutMs, onPhase) as Promise<BroadcastResult>;
  }

  openIdle(spec: OpenIdleSpec, timeoutMs: number): Promise<OpenIdleResult> {
    return this.send({ kind: 'openIdle', spec }, timeoutMs) as Promise<OpenIdleResult>;
  }

  closeIdle(timeoutMs: number): Promise<string[]> {
    return this.send({ kind: 'closeIdle' }, timeoutMs) as Promise<string[]>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  private send(command: LoadCommand, timeoutMs: number, onPhase?: PhaseListener): Promise<unknown> {
    const id = this.nextId++;
    // The generator gives up a little before the runner does, so it answers with what it has.
    const deadline = Date.now() + timeoutMs - 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`the load generator did not finish '${command.kind}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = () => {
        cleanup();
        reject(new Error(`the load generator exited during '${command.kind}'`));
      };
      const onMessage = (response: LoadResponse) => {
        if (response.id !== id) return;
        if (response.phase !== undefined) {
          onPhase?.(response.phase);
          return;
        }
        cleanup();
        if (response.error !== undefined) reject(new Error(response.error));
        else resolve(response.result);
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send({ id, deadline, command });
    });
  }
}
