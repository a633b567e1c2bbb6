// Test support for samples: runs `samples/<name>/main.ts` as its own process (as
// `npm run sample -- <name>` does, or `npm run sample:bun -- <name>` with runtime 'bun'),
// collects what it prints and stops it by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');

/**
 * Samples import the built package. jest's global setup builds it before any test; this only
 * checks, so a sample test run on its own with a stale or missing build fails clearly.
 */
export function ensureBuilt(): void {
  if (!existsSync(path.join(root, 'packages/websocket/dist/index.js'))) {
    throw new Error('packages/websocket/dist is missing: run `npm run build` (jest does it in its global setup)');
  }
}

/** The repository's Bun (the `bun` devDependency), found as `npm run sample:bun` finds it. */
function bunBinary(): string {
  const { locateBun } = require(path.join(root, 'scripts/bun-path.js')) as { locateBun(): string | undefined };
  const bun = locateBun();
  if (bun === undefined) throw new Error('no working Bun binary: run `node scripts/bun-path.js` to see what is missing');
  return bun;
}

export class SampleProcess {
  output = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(name: string, env: Record<string, string> = {}, args: string[] = [], runtime: 'node' | 'bun' = 'node') {
    this.child =
      runtime === 'node'
        ? spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(root, 'samples', name, 'main.ts'), ...args], {
            cwd: root,
            env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'samples/tsconfig.json'), ...env },
            stdio: ['pipe', 'pipe', 'pipe'],
          })
        : // From samples/, so Bun reads samples/tsconfig.json (decorators), as scripts/bun-sample.js does.
          spawn(bunBinary(), [path.join(name, 'main.ts'), ...args], {
            cwd: path.join(root, 'samples'),
            env: { ...process.env, ...env },
            stdio: ['pipe', 'pipe', 'pipe'],
          });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get stdin(): NodeJS.WritableStream {
    return this.child.stdin!;
  }

  /** Waits until the output matches `pattern`; returns the match. */
  async waitFor(pattern: RegExp, ms = 15000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`sample output never matched ${pattern}; it printed:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The port of the listener line `started … listener <host>:<port>` whose kind matches `kind`. */
  async port(kind = 'WS'): Promise<number> {
    const match = await this.waitFor(new RegExp(`started ${kind} listener \\S+:(\\d+)`));
    return Number(match[1]);
  }

  /** Resolves with the exit code once the process has ended. */
  waitExit(ms = 10000): Promise<number | null> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the sample did not exit')), ms).unref()),
    ]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.waitExit().catch(() => this.child.kill('SIGKILL'));
  }
}
