// The echo sample on Bun: `cd samples && bun echo/main.ts` serves it on Bun's native server,
// honours PORT and MAX_FRAME_SIZE, echoes text and binary, closes with 1009 past the limit and
// stops gracefully (1001) on SIGTERM. Bun only: on Node the sample's own test runs it (samples/echo).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../../../samples/echo/main';
import { TestClient, eventually, withTimeout } from '../helpers';
import { RUNS_ON_BUN, stopAll } from './engine-helpers';

const SAMPLES = join(__dirname, '..', '..', '..', '..', 'samples');
const LISTENING = /echo service listening on ws:\/\/localhost:(\d+)\/ws/;

let child: ChildProcess | undefined;
let output = '';

afterEach(async () => {
  await stopAll();
  // Only the process this test started, by its PID.
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

/** Starts `bun echo/main.ts` in samples/ and resolves with its port. */
async function startSample(env: Record<string, string>): Promise<number> {
  output = '';
  child = spawn(process.execPath, ['echo/main.ts'], { cwd: SAMPLES, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await eventually(() => LISTENING.test(output) || child!.exitCode !== null, 10000, 'the sample to listen');
  const match = output.match(LISTENING);
  if (match === null) throw new Error(`the sample did not start:\n${output}`);
  return Number(match[1]);
}

(RUNS_ON_BUN ? describe : describe.skip)('the echo sample under bun', () => {
  it("runs on Bun's native server when started in this process", async () => {
    process.env.PORT = '0';
    const app = await main();
    try {
      expect(app.engine).toBe('bun');
    } finally {
      await app.stop();
      delete process.env.PORT;
    }
  });

  it('serves PORT and MAX_FRAME_SIZE, echoes, closes with 1009 past the limit, and stops with 1001 on SIGTERM', async () => {
    const port = await startSample({ PORT: '0', MAX_FRAME_SIZE: '1024' });
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    client.send('hello');
    expect(await client.nextText()).toBe('hello');
    client.send(Buffer.from([1, 2, 3]));
    expect(await client.next()).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
    const tooBig = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    tooBig.send('x'.repeat(1025));
    expect((await tooBig.waitClosed()).code).toBe(1009);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect((await client.waitClosed(5000)).code).toBe(1001);
    expect(await withTimeout(exited, 5000, 'the sample to exit')).toBe(0);
  });
});
