// Closed-loop load: C connections, each keeping W messages in flight. Every reply is answered
// at once with a new message; the replies of one read go out in one write. After a warm-up the
// replies of a fixed measured time are counted and their latencies recorded. With `session`,
// connections ask for a resumable session and, when the server gives one (its first frame is
// `$session`), take its `$ack` frames and acknowledge the replies as @duet/client does.
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
  /** The connections asked for a resumable session (`path` carries `?duet-resume=new`). */
  session?: boolean;
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
  /** The server gave this connection a session: replies are counted and acknowledged. */
  inSession: boolean;
  /** Replies received in the session, and how many of them were acknowledged. */
  received: number;
  acked: number;
  ackEvery: number;
}

/** The first bytes of a session's first frame (the echo services' dispatcher key is `type`). */
const SESSION_START = Buffer.from('{"type":"$session"');
/** Enough for the whole `$session` frame (its `ackEvery` is read from it). */
const SESSION_CAPTURE = 256;

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

  connecting(connection: LoadConnection): void {
    connection.state = {
      sentAt: new Float64Array(this.spec.window),
      head: 0,
      tail: 0,
      inFlight: 0,
      toSend: 0,
      checked: false,
      inSession: false,
      received: 0,
      acked: 0,
      ackEvery: 32,
    } satisfies Flight;
    // The first frame may be a `$session` (it comes right after the handshake) rather than a
    // reply: capture enough of it to tell.
    // A compressed reply may be longer than the plain one: room for it.
    connection.reader.captureNext(this.spec.session === true ? SESSION_CAPTURE : this.replyLength + (this.spec.compression === true ? 1024 : 1));
  }

  start(connection: LoadConnection): void {
    const window = this.spec.window;
    const flight = connection.state as Flight;
    if (this.spec.compression === true && !connection.extensions.startsWith('permessage-deflate')) {
      this.problems.add(`permessage-deflate was not agreed (answer: '${connection.extensions}')`);
    }
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
      if (opcode === Opcode.Text && this.spec.session === true && this.sessionFrame(connection, flight)) return;
      if (opcode !== Opcode.Close) this.problems.add(`unexpected frame: opcode ${opcode}, ${length} bytes`);
      return;
    }
    if (flight.inSession) flight.received++;
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

  /**
   * A text frame that is not a reply: the connection's `$session` (first) or one of the
   * server's `$ack`s (after it). False for anything else.
   */
  private sessionFrame(connection: LoadConnection, flight: Flight): boolean {
    if (flight.inSession) return true;
    if (flight.checked || flight.received > 0) return false;
    const captured = connection.reader.lastCaptured;
    if (captured === undefined || !captured.subarray(0, SESSION_START.length).equals(SESSION_START)) return false;
    const ackEvery = (JSON.parse(captured.toString()) as { ackEvery?: unknown }).ackEvery;
    if (typeof ackEvery === 'number') flight.ackEvery = ackEvery;
    flight.inSession = true;
    // The reply check takes the next frame.
    connection.reader.captureNext(this.replyLength + 1);
    return true;
  }

  readDone(connection: LoadConnection): void {
    const flight = connection.state as Flight | undefined;
    if (flight === undefined) return;
    // Acknowledged in batches as @duet/client does (it also flushes a batch after 50 ms; under
    // this load a batch fills long before): the server holds writes past its bound until then.
    if (flight.inSession && flight.received - flight.acked >= flight.ackEvery) {
      flight.acked = flight.received;
      connection.write(maskedFrame(Opcode.Text, Buffer.from(`{"type":"$ack","n":${flight.received}}`)));
    }
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
