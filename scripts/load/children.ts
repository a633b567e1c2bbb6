// The processes a load run starts, and how it talks to them: each child is forked with an IPC
// channel, announces itself once ready, and answers one request at a time by id. Every child is
// recorded the moment it exists, so that every exit path can stop them all by their PID.
import { type ChildProcess, fork } from 'node:child_process';

/** A request from the load test to a child. */
export interface ChildRequest {
  readonly id: number;
  readonly command: string;
  readonly args?: unknown;
}

/** A child's answer: id 0 is its announcement once ready. */
export interface ChildAnswer {
  readonly id: number;
  readonly body?: unknown;
  readonly error?: string;
}

/** Something a run started that must be stopped on every exit path. */
export interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

/** Everything a run started, stopped in reverse order whatever happens. */
export class StartedProcesses {
  private readonly started: Stoppable[] = [];
  private stopping: Promise<void> | undefined;

  /** Records `process`; one started after stopAll() began is stopped at once. */
  add<T extends Stoppable>(process: T): T {
    if (this.stopping !== undefined) void process.stop().catch(() => {});
    else this.started.push(process);
    return process;
  }

  /**
   * Stops every process recorded, in reverse order of start; never rejects. Every call answers
   * the same promise, so that an exit path that comes second (the timeout, then the run's own
   * `finally`) still waits for the stops the first one began.
   */
  stopAll(): Promise<void> {
    this.stopping ??= Promise.all(this.started.splice(0).reverse().map((process) => process.stop().catch(() => {}))).then(() => {});
    return this.stopping;
  }
}

/** A forked child of the load test (a server or a load generator). */
export class LoadChild<Ready> implements Stoppable {
  readonly ready: Promise<Ready>;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(body: unknown): void; reject(error: Error): void }>();
  private readonly exited: Promise<void>;
  private exitReason: string | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    startTimeoutMs: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitReason = `${name} exited (${signal ?? `code ${code}`})`;
        for (const pending of this.waiting.values()) pending.reject(new Error(this.exitReason));
        this.waiting.clear();
        resolve();
      }),
    );
    this.ready = this.wait<Ready>(0, 'start', startTimeoutMs);
    child.on('message', (answer: ChildAnswer) => {
      const pending = this.waiting.get(answer.id);
      if (pending === undefined) return;
      this.waiting.delete(answer.id);
      if (answer.error !== undefined) pending.reject(new Error(`${name}: ${answer.error}`));
      else pending.resolve(answer.body);
    });
  }

  /**
   * Forks the JavaScript file `script` with `--expose-gc`; its stdout goes to our stderr, so
   * that `--json` keeps stdout for the result.
   */
  static fork<Ready>(script: string, name: string, env: Record<string, string>, startTimeoutMs: number): LoadChild<Ready> {
    const child = fork(script, [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    return new LoadChild<Ready>(name, child, startTimeoutMs);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends `command` and waits at most `timeoutMs` for its answer. */
  ask<T>(command: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.exitReason !== undefined) return Promise.reject(new Error(this.exitReason));
    const id = this.nextId++;
    const answer = this.wait<T>(id, command, timeoutMs);
    this.child.send({ id, command, args } satisfies ChildRequest);
    return answer;
  }

  /** SIGTERM to its PID, SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const force = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(force);
  }

  private wait<T>(id: number, command: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name} did not answer '${command}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }
}

/** The child's side: answers requests with `handle`, announces `ready`, and exits when the load test goes away. */
export function serveRequests(handle: (command: string, args: unknown) => unknown | Promise<unknown>): (ready: unknown) => void {
  // The IPC channel closes when the load test exits, however it exits: nothing is left behind.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (request: ChildRequest) => {
    Promise.resolve()
      .then(() => handle(request.command, request.args))
      .then(
        (body) => process.send?.({ id: request.id, body } satisfies ChildAnswer),
        (error: Error) => process.send?.({ id: request.id, error: error?.stack ?? String(error) } satisfies ChildAnswer),
      );
  });
  return (ready) => process.send?.({ id: 0, body: ready } satisfies ChildAnswer);
}
