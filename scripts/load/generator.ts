// A load generator of the load test: a process of its own that opens its share of the
// connections (from the 127.0.0.x source addresses it is given, over the server processes in
// turn), holds them, records for each one every frame it gets and when the broadcast came, and
// closes them. Driven over IPC by load-test.ts. Kept under 18,000 sockets: 20,000 open files.
import WebSocket from 'ws';
import { serveRequests } from './children';
import { openFileLimit } from './proc';
import { sentAtOf, wallClock } from './broadcast-text';

export interface OpenSpec {
  /** The servers' ports on 127.0.0.1. */
  ports: number[];
  room: string;
  connections: number;
  /** This generator's first connection in the run's numbering: connection k goes to server k mod N. */
  firstIndex: number;
  /** Source addresses (127.0.0.x), used in turn: each has its own range of ephemeral ports. */
  localAddresses: string[];
  /** Handshakes under way at once. */
  concurrency: number;
  timeoutMs: number;
}

export interface OpenResult {
  opened: number;
  failed: number;
  /** Why connections failed, by message (the first few kinds). */
  errors: Record<string, number>;
  ms: number;
  /** [milliseconds since the open began, connections open then], about every PROGRESS_MS (timers run late on a busy machine). */
  progress: Array<[number, number]>;
}

export interface DeliveryReport {
  sockets: number;
  /** Sockets that got the broadcast exactly once, not at all, more than once. */
  once: number;
  missing: number;
  duplicated: number;
  /** Frames that were not the broadcast, and the first of them. */
  otherFrames: number;
  firstOther?: string;
  /** Sockets that closed before the load test closed them, by close code. */
  closedEarly: Record<string, number>;
  /** Milliseconds from the send to its arrival, for each socket that got it. */
  latencies: number[];
}

export interface CloseResult {
  closed: number;
  notClosed: number;
  /** The deliveries as they stand once everything is closed (a late duplicate shows here). */
  report: Omit<DeliveryReport, 'latencies'>;
}

export interface GeneratorReady {
  pid: number;
  openFileLimit: number;
}

const PROGRESS_MS = 250;
const MAX_ERROR_KINDS = 8;

let sockets: WebSocket[] = [];
/** Per connection of the share: 1 once it opened, broadcasts it got, when the first one came. */
let openedFlags = new Uint8Array(0);
let counts = new Uint16Array(0);
let latencies = new Float64Array(0);
let otherFrames = 0;
let firstOther: string | undefined;
let closing = false;
const closedEarly: Record<string, number> = {};
let received = 0;
let everyoneReceived: (() => void) | undefined;

function onFrame(index: number, data: WebSocket.RawData, isBinary: boolean): void {
  const now = wallClock();
  const text = isBinary ? undefined : data.toString();
  const sentAt = text === undefined ? undefined : sentAtOf(text);
  if (sentAt === undefined) {
    otherFrames++;
    firstOther ??= text === undefined ? `a binary frame of ${(data as Buffer).length} bytes` : text.slice(0, 120);
    return;
  }
  if (++counts[index] === 1) {
    latencies[index] = now - sentAt;
    if (++received === sockets.length) everyoneReceived?.();
  }
}

function countError(errors: Record<string, number>, error: Error): void {
  const kind = (error as NodeJS.ErrnoException).code ?? error.message;
  if (errors[kind] !== undefined || Object.keys(errors).length < MAX_ERROR_KINDS) errors[kind] = (errors[kind] ?? 0) + 1;
}

function openOne(url: string, localAddress: string, index: number, errors: Record<string, number>): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, localAddress, handshakeTimeout: 30_000 });
    socket.on('message', (data, isBinary) => onFrame(index, data, isBinary));
    socket.once('error', (error) => {
      countError(errors, error);
      resolve(undefined);
    });
    socket.once('open', () => {
      socket.on('close', (code) => {
        if (!closing) closedEarly[code] = (closedEarly[code] ?? 0) + 1;
      });
      resolve(socket);
    });
  });
}

async function open(spec: OpenSpec): Promise<OpenResult> {
  const started = performance.now();
  const deadline = started + spec.timeoutMs;
  openedFlags = new Uint8Array(spec.connections);
  counts = new Uint16Array(spec.connections);
  latencies = new Float64Array(spec.connections).fill(Number.NaN);
  const opened: WebSocket[] = new Array(spec.connections);
  const errors: Record<string, number> = {};
  const progress: Array<[number, number]> = [];
  let openCount = 0;
  let failed = 0;
  const ticker = setInterval(() => progress.push([performance.now() - started, openCount]), PROGRESS_MS);
  let next = 0;
  // `concurrency` workers take the next connection until all are tried or the time is up.
  const worker = async () => {
    while (next < spec.connections && performance.now() < deadline) {
      const index = next++;
      const port = spec.ports[(spec.firstIndex + index) % spec.ports.length];
      const localAddress = spec.localAddresses[index % spec.localAddresses.length];
      const socket = await openOne(`ws://127.0.0.1:${port}/load/${spec.room}`, localAddress, index, errors);
      if (socket === undefined) failed++;
      else {
        opened[index] = socket;
        openedFlags[index] = 1;
        openCount++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.connections) }, worker));
  clearInterval(ticker);
  progress.push([performance.now() - started, openCount]);
  const notTried = spec.connections - next;
  if (notTried > 0) errors[`not tried within ${spec.timeoutMs} ms`] = notTried;
  sockets = opened.filter((socket) => socket !== undefined);
  return { opened: openCount, failed: failed + notTried, errors, ms: performance.now() - started, progress };
}

/** Resolves once every open socket has the broadcast, or after `timeoutMs`. */
function awaitBroadcast(timeoutMs: number): Promise<{ received: number }> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      everyoneReceived = undefined;
      resolve({ received });
    };
    const timer = setTimeout(done, timeoutMs);
    everyoneReceived = done;
    if (received >= sockets.length) done();
  });
}

function deliveries(): Omit<DeliveryReport, 'latencies'> {
  let once = 0;
  let missing = 0;
  let duplicated = 0;
  // Counted over the connections that opened: one that failed is reported as a failed open.
  for (let index = 0; index < counts.length; index++) {
    if (openedFlags[index] === 0) continue;
    if (counts[index] === 0) missing++;
    else if (counts[index] === 1) once++;
    else duplicated++;
  }
  return { sockets: sockets.length, once, missing, duplicated, otherFrames, firstOther, closedEarly: { ...closedEarly } };
}

function report(): DeliveryReport {
  const result = deliveries();
  const arrived: number[] = [];
  for (const latency of latencies) if (latency === latency) arrived.push(Math.round(latency * 100) / 100);
  return { ...result, latencies: arrived };
}

/** Closes every socket (1000) and waits for each to finish closing, at most `timeoutMs`. */
async function close(timeoutMs: number): Promise<CloseResult> {
  closing = true;
  let closed = 0;
  const all = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) {
          closed++;
          resolve();
          return;
        }
        socket.once('close', () => {
          closed++;
          resolve();
        });
        socket.close(1000);
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(all), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  const result = { closed, notClosed: sockets.length - closed, report: deliveries() };
  for (const socket of sockets) if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
  sockets = [];
  return result;
}

const ready = serveRequests(async (command, args) => {
  switch (command) {
    case 'open':
      return open(args as OpenSpec);
    case 'awaitBroadcast':
      return awaitBroadcast((args as { timeoutMs: number }).timeoutMs);
    case 'report':
      return report();
    case 'close':
      return close((args as { timeoutMs: number }).timeoutMs);
    default:
      throw new Error(`unknown command '${command}'`);
  }
});
ready({ pid: process.pid, openFileLimit: openFileLimit() } satisfies GeneratorReady);
