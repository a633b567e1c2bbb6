// Closed-loop load: C connections, each keeping W messages in flight. Every reply is answered
// at once with a new message; the replies of one read go out in one write. After a warm-up the
// replies of a fixed measured time are counted and their latencies recorded.
import { performance } from 'node:perf_hooks';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { CpuMeter, MachineMeter } from '../proc';
import { Opcode, maskedFrame, repeatFrame } from './frames';
import { LatencyHistogram } from './histogram';
import { type LoadConnection, type LoadDriver, closeConnections, openConnections } from './load-connection';
import type { PhaseListener } from './loadgen';

export interface ThroughputSpec {
  port: number;
  path: string;
  serverPid: number;
  connections: number;
  /** Messages in flight per connection. */
  window: number;
  /** The text message every connection sends. */
  message: string;
  /** The text every reply must be (checked on each connection's first reply; sizes on all). */
  expectedReply: string;
  warmupMs: number;
  measureMs: number;
  /**
   * Offer permessage-deflate (with client_no_context_takeover, so one compressed message can be
   * sent again and again) and send every message compressed; replies may come either way.
   */
  compression?: boolean;
}

export interface ThroughputResult {
  messagesPerSecond: number;
  p50Micros: number;
  p99Micros: number;
  measuredMessages: number;
  measuredSeconds: number;
  /** Bytes the server put on the wire per reply over the measured time (headers included). */
  wireBytesPerMessage: number;
  /** CPU of the server and of this load generator over the measured time (1 = one core). */
  serverCpu: number;
  loadCpu: number;
  /** CPU of the whole machine over the measured time, in cores: more than server + load means others ran. */
  machineCpu: number;
  problems: string[];
}

interface Flight {
  readonly sentAt: Float64Array;
  head: number;
  tail: number;
  inFlight: number;
  toSend: number;
  checked: boolean;
}

class ThroughputDriver implements LoadDriver {
  sending = true;
  measuring = false;
  measured = 0;
  inFlightTotal = 0;
  readonly histogram = new LatencyHistogram();
  readonly problems = new Set<string>();
  private readonly frames: Buffer;
  private readonly frameLength: number;
  private readonly replyLength: number;
  private readonly expectedReply: Buffer;
  private drained: (() => void) | undefined;

  constructor(private readonly spec: ThroughputSpec) {
    const message = Buffer.from(spec.message);
    const frame = spec.compression === true ? maskedFrame(Opcode.Text, deflated(message), true) : maskedFrame(Opcode.Text, message);
    this.frameLength = frame.length;
    this.frames = repeatFrame(frame, spec.window);
    this.expectedReply = Buffer.from(spec.expectedReply);
    this.replyLength = this.expectedReply.length;
  }

  start(connection: LoadConnection): void {
    const window = this.spec.window;
    const flight: Flight = { sentAt: new Float64Array(window), head: 0, tail: 0, inFlight: 0, toSend: 0, checked: false };
    connection.state = flight;
    if (this.spec.compression === true && !connection.extensions.startsWith('permessage-deflate')) {
      this.problems.add(`permessage-deflate was not agreed (answer: '${connection.extensions}')`);
    }
    connection.reader.captureNext(this.replyLength + 1024);
    const now = performance.now();
    flight.sentAt.fill(now);
    flight.inFlight = window;
    this.inFlightTotal += window;
    connection.write(this.frames);
  }

  frame(connection: LoadConnection, opcode: number, length: number): void {
    const flight = connection.state as Flight;
    // Compressed replies have sizes of their own: the first is inflated and checked below.
    if (opcode !== Opcode.Text || (length !== this.replyLength && !connection.reader.compressed)) {
      if (opcode !== Opcode.Close) this.problems.add(`unexpected frame: opcode ${opcode}, ${length} bytes`);
      return;
    }
    if (!flight.checked) {
      flight.checked = true;
      const captured = connection.reader.lastCaptured ?? Buffer.alloc(0);
      // The first compressed message of a connection needs no earlier context to be inflated.
      const reply = connection.reader.compressed ? inflated(captured) : captured;
      if (!this.expectedReply.equals(reply)) {
        this.problems.add(`a reply differs from the expected one: ${String(connection.reader.lastCaptured).slice(0, 80)}`);
      }
    }
    if (flight.inFlight === 0) {
      this.problems.add('a reply that answers no message');
      return;
    }
    if (this.measuring) {
      this.measured++;
      this.histogram.record((connection.readAt - flight.sentAt[flight.head]) * 1000);
    }
    flight.head = (flight.head + 1) % flight.sentAt.length;
    flight.inFlight--;
    this.inFlightTotal--;
    if (this.sending) flight.toSend++;
  }

  readDone(connection: LoadConnection): void {
    const flight = connection.state as Flight | undefined;
    if (flight === undefined) return;
    const count = flight.toSend;
    if (count > 0) {
      flight.toSend = 0;
      connection.write(this.frames.subarray(0, count * this.frameLength));
      const now = connection.readAt;
      const size = flight.sentAt.length;
      for (let i = 0; i < count; i++) {
        flight.sentAt[flight.tail] = now;
        flight.tail = (flight.tail + 1) % size;
      }
      flight.inFlight += count;
      this.inFlightTotal += count;
    }
    if (this.inFlightTotal === 0 && this.drained !== undefined) this.drained();
  }

  closed(connection: LoadConnection): void {
    if (connection.problem !== undefined && this.sending) this.problems.add(connection.problem);
  }

  /** Resolves when no message is in flight any more, or after `ms`. */
  whenDrained(ms: number): Promise<void> {
    if (this.inFlightTotal === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.problems.add(`${this.inFlightTotal} messages still unanswered ${ms} ms after the run`);
        resolve();
      }, ms);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export async function runThroughput(spec: ThroughputSpec, deadline: number, onPhase?: PhaseListener): Promise<ThroughputResult> {
  const driver = new ThroughputDriver(spec);
  const offer = spec.compression === true ? 'permessage-deflate; client_no_context_takeover' : undefined;
  const opened = await openConnections(spec.port, spec.path, spec.connections, 64, driver, deadline, offer);
  if (opened.failed > 0) driver.problems.add(`${opened.failed} connections failed: ${opened.firstProblem}`);
  for (const connection of opened.connections) driver.start(connection);

  await sleep(spec.warmupMs);
  onPhase?.('measure-start');
  driver.measuring = true;
  const serverCpu = new CpuMeter(spec.serverPid);
  const loadCpu = new CpuMeter(process.pid);
  const machineCpu = new MachineMeter();
  const bytesBefore = bytesIn(opened.connections);
  const started = performance.now();
  await sleep(spec.measureMs);
  driver.measuring = false;
  const wireBytes = bytesIn(opened.connections) - bytesBefore;
  onPhase?.('measure-end');
  const measuredSeconds = (performance.now() - started) / 1000;
  const result: ThroughputResult = {
    messagesPerSecond: driver.measured / measuredSeconds,
    p50Micros: driver.histogram.percentile(0.5),
    p99Micros: driver.histogram.percentile(0.99),
    measuredMessages: driver.measured,
    measuredSeconds,
    wireBytesPerMessage: driver.measured > 0 ? wireBytes / driver.measured : Number.NaN,
    serverCpu: serverCpu.read(),
    loadCpu: loadCpu.read(),
    machineCpu: machineCpu.read(),
    problems: [],
  };
  driver.sending = false;
  await driver.whenDrained(3000);
  await closeConnections(opened.connections);
  result.problems = [...driver.problems];
  return result;
}

function bytesIn(connections: readonly LoadConnection[]): number {
  let total = 0;
  for (const connection of connections) total += connection.bytesIn;
  return total;
}

/** A message as one compressed payload (RFC 7692 7.2.1: sync-flushed, its 4-byte tail removed). */
export function deflated(message: Buffer): Buffer {
  const bytes = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH });
  return bytes.subarray(0, bytes.length - 4);
}

function inflated(payload: Buffer): Buffer {
  try {
    return inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
