// Runs fuzz cases against a server on 127.0.0.1, several at a time, while a control connection
// checks every 100 ms that the same server still echoes. Case `i` of seed `S` is always the
// same bytes, so any failure can be replayed with `npm run fuzz -- --seed S --case i`.
import { randomBytes } from 'node:crypto';
import { Opcode, RawClient, closePayload } from '../conformance/raw-client';
import { handshake, tcpConnect } from '../robustness/support';
import { type Judgement, ServerFrames, judge } from './case-outcome';
import { type FuzzCase, generateCase } from './frame-generator';
import { Random, caseSeed } from './prng';

export interface FuzzOptions {
  readonly port: number;
  readonly seed: number;
  readonly cases: number;
  /** The first case number (to replay one case: `first: i, cases: 1`). Default 0. */
  readonly first?: number;
  /** Cases in flight at once. Default 32. */
  readonly concurrency?: number;
  /** How long one case may take to end once its bytes are sent. Default 5000 ms. */
  readonly caseTimeoutMs?: number;
  /** The target service's maxFrameSize, so sizes cluster around it. Default 65536. */
  readonly maxFrameSize?: number;
  /** The fuzzed service's path (default `/fuzz`) and the control echo's (default `/echo`). */
  readonly path?: string;
  readonly controlPath?: string;
  /** Called after each case. */
  readonly onCase?: (index: number, judgement: Judgement) => void;
}

export interface FuzzFailure {
  readonly seed: number;
  readonly index: number;
  readonly reason: string;
  readonly steps: readonly string[];
  readonly bytes: Buffer;
}

export interface FuzzReport {
  readonly cases: number;
  readonly failures: readonly FuzzFailure[];
  /** How the passing cases ended: `close 1002`, `TCP close`… and how many. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly controlEchoes: number;
  readonly controlMisses: readonly string[];
  readonly ms: number;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const first = options.first ?? 0;
  const end = first + options.cases;
  const failures: FuzzFailure[] = [];
  const outcomes: Record<string, number> = {};
  const control = await Control.start(options.port, options.controlPath ?? '/echo');
  let next = first;
  const worker = async () => {
    while (next < end) {
      const index = next++;
      const fuzzCase = generateCase(new Random(caseSeed(options.seed, index)), options.maxFrameSize ?? 65536);
      const judgement = await runCase(options, fuzzCase);
      if (judgement.ok) outcomes[judgement.outcome] = (outcomes[judgement.outcome] ?? 0) + 1;
      else failures.push({ seed: options.seed, index, reason: judgement.reason, steps: fuzzCase.steps, bytes: fuzzCase.bytes });
      options.onCase?.(index, judgement);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
  } finally {
    await control.stop();
  }
  return {
    cases: options.cases,
    failures,
    outcomes,
    controlEchoes: control.echoes,
    controlMisses: control.misses,
    ms: Date.now() - started,
  };
}

/** A failure as a person needs it: what went wrong, how to replay it, what was sent. */
export function describeFailure(failure: FuzzFailure): string {
  const hex = failure.bytes.subarray(0, 256).toString('hex');
  return [
    `fuzz case ${failure.index} of seed ${failure.seed}: ${failure.reason}`,
    `  replay: npm run fuzz -- --seed ${failure.seed} --case ${failure.index}`,
    ...failure.steps.map((step) => `  - ${step}`),
    `  ${failure.bytes.length} bytes sent: ${hex}${failure.bytes.length > 256 ? '…' : ''}`,
  ].join('\n');
}

async function runCase(options: FuzzOptions, fuzzCase: FuzzCase): Promise<Judgement> {
  const seen = new ServerFrames();
  const socket = await tcpConnect(options.port).catch((error: Error) => error);
  if (socket instanceof Error) return { ok: false, reason: `could not connect: ${socket.message}` };
  socket.setNoDelay(true); // the pieces of a case go out as written, not held back by Nagle
  try {
    seen.push(await handshake(socket, options.path ?? '/fuzz'));
  } catch (error) {
    socket.destroy();
    return { ok: false, reason: `the handshake failed: ${(error as Error).message}` };
  }
  const done = new Promise<void>((resolve) => {
    const check = () => {
      if (seen.ended || seen.closeFrame !== undefined || seen.parseError !== undefined) resolve();
    };
    socket.on('data', (chunk: Buffer) => {
      seen.push(chunk);
      check();
    });
    socket.once('close', () => {
      seen.ended = true;
      check();
    });
  });
  for (const [i, bytes] of fuzzCase.writes.entries()) {
    if (socket.destroyed) break;
    socket.write(bytes);
    if (fuzzCase.pauses[i]) await new Promise((resolve) => setImmediate(resolve));
  }
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = options.caseTimeoutMs ?? 5000;
  await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  socket.destroy();
  const judgement = judge(fuzzCase.bytes, seen);
  if (!judgement.ok && judgement.reason.startsWith('the connection was neither')) {
    return { ok: false, reason: `the connection was neither closed nor ended within ${timeoutMs} ms` };
  }
  return judgement;
}

/** A well-behaved client on the same server, echoing a fresh message every 100 ms. */
class Control {
  echoes = 0;
  readonly misses: string[] = [];
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(private readonly client: RawClient) {}

  static async start(port: number, path: string): Promise<Control> {
    const control = new Control(await RawClient.connect(port, path));
    control.loop = control.run();
    return control;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.client.isEnded) return;
    this.client.send({ opcode: Opcode.Close, payload: closePayload(1000) });
    await this.client.serverClose().catch((error: Error) => this.misses.push(`the control's close failed: ${error.message}`));
    this.client.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const text = `control ${randomBytes(8).toString('hex')}`;
      const sentAt = Date.now();
      try {
        this.client.send({ opcode: Opcode.Text, payload: text });
        const frame = await this.client.nextFrame(2000);
        if (frame.opcode !== Opcode.Text || frame.payload.toString() !== text) {
          this.misses.push(`at ${new Date(sentAt).toISOString()}: expected the echo of '${text}', got opcode ${frame.opcode}`);
        } else {
          this.echoes++;
        }
      } catch (error) {
        this.misses.push(`at ${new Date(sentAt).toISOString()}: ${(error as Error).message}`);
        if (this.client.isEnded) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
