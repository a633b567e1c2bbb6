// Test support for running commands the way a user types them (npm install, npm start…): each
// bounded by a timeout, each stopped by its PID. Not a test file itself.
import { type ChildProcess, execFile, spawn } from 'node:child_process';

/** What a finished command printed. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment for a nested npm: without the `npm_*` variables of the npm that may be
 * running jest (`npm_config_local_prefix` would point the nested npm at this repository).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_cafile']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if ((!/^npm_/i.test(key) && key !== 'INIT_CWD') || keep.has(key.toLowerCase())) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs `file args` in `cwd`; resolves with its output, killed after `timeout` ms. */
export function run(file: string, args: readonly string[], cwd: string, timeout: number, env = cleanEnv()): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd, timeout, env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr: error?.killed ? `${stderr}\n[killed after ${timeout} ms]` : stderr });
    });
  });
}

/** Like `run`, but fails with the command's output unless it exits 0. */
export async function mustRun(file: string, args: readonly string[], cwd: string, timeout: number, env = cleanEnv()): Promise<Finished> {
  const result = await run(file, args, cwd, timeout, env);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} in ${cwd} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** A long-running command (`npm start`) in its own process group, stopped through its PID. */
export class Started {
  output = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
    // Its own group: npm runs a shell that runs node, and all three must stop.
    this.child = spawn(file, [...args], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Waits until the output matches `pattern`; fails with the output after `ms` or at exit. */
  async waitFor(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`the output never matched ${pattern} (${this.child.exitCode === null ? `${ms} ms` : `exited ${this.child.exitCode}`}):\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM to the process group; SIGKILL if anything of it is left after `ms`. Resolves once all is gone. */
  async stop(ms = 10000): Promise<void> {
    const group = -this.child.pid!;
    signal(group, 'SIGTERM');
    const deadline = Date.now() + ms;
    while (alive(group) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (alive(group)) signal(group, 'SIGKILL');
    await this.exited;
  }
}

function signal(group: number, name: NodeJS.Signals): void {
  try {
    process.kill(group, name);
  } catch {
    // already gone
  }
}

function alive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}
