// One message to every connection: connection 0 sends a trigger, the server sends its text to
// all C connections (the sender included), and the time until the last of them has it is taken.
import { performance } from 'node:perf_hooks';
import { CpuMeter, MachineMeter } from '../proc';
import { Opcode, maskedFrame } from './frames';
import { type LoadConnection, type LoadDriver, closeConnections, openConnections } from './load-connection';
import type { PhaseListener } from './loadgen';

export interface BroadcastSpec {
  port: number;
  path: string;
  serverPid: number;
  connections: number;
  /** The text that is sent and must come back to every connection. */
  message: string;
  warmupBroadcasts: number;
  broadcasts: number;
  /** Rest between broadcasts, so each starts from a quiet server. */
  pauseMs: number;
  /** Offer permessage-deflate; broadcasts may then arrive compressed. */
  compression?: boolean;
}

export interface BroadcastResult {
  /** Milliseconds from the trigger to the last delivery, one per measured broadcast. */
  durationsMs: number[];
  medianMs: number;
  maxMs: number;
  /** Server CPU seconds per measured broadcast. */
  serverCpuMsPerBroadcast: number;
  /** Bytes the server put on the wire per delivered message over the measured broadcasts. */
  wireBytesPerMessage: number;
  /** CPU of the server, the load generator and the whole machine over the measured broadcasts, in cores. */
  serverCpu: number;
  loadCpu: number;
  machineCpu: number;
  openSeconds: number;
  problems: string[];
}

class BroadcastDriver implements LoadDriver {
  /** Connections that must have a broadcast before it counts as delivered. */
  total = 0;
  arrived = 0;
  lastArrival = 0;
  readonly problems = new Set<string>();
  private readonly length: number;
  private complete: (() => void) | undefined;

  constructor(
    message: string,
    private readonly compression: boolean,
  ) {
    this.length = Buffer.byteLength(message);
  }

  /** Resolves with true once every connection has the broadcast, false after `ms`. */
  expectAll(ms: number): Promise<boolean> {
    this.arrived = 0;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.complete = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  frame(connection: LoadConnection, opcode: number, length: number): void {
    // A compressed broadcast has a size of its own.
    if (opcode !== Opcode.Text || (length !== this.length && !(this.compression && connection.reader.compressed))) {
      if (opcode !== Opcode.Close) this.problems.add(`unexpected frame: opcode ${opcode}, ${length} bytes`);
      return;
    }
    this.arrived++;
    if (this.arrived === this.total) {
      this.lastArrival = connection.readAt;
      this.complete?.();
    }
  }

  readDone(): void {}

  closed(connection: LoadConnection): void {
    if (connection.problem !== undefined) this.problems.add(connection.problem);
  }
}

export async function runBroadcast(spec: BroadcastSpec, deadline: number, onPhase?: PhaseListener): Promise<BroadcastResult> {
  const driver = new BroadcastDriver(spec.message, spec.compression === true);
  const offer = spec.compression === true ? 'permessage-deflate' : undefined;
  const opened = await openConnections(spec.port, spec.path, spec.connections, 100, driver, deadline, offer);
  if (spec.compression === true && opened.connections.some((connection) => !connection.extensions.startsWith('permessage-deflate'))) {
    driver.problems.add('permessage-deflate was not agreed on every connection');
  }
  if (opened.failed > 0) driver.problems.add(`${opened.failed} connections failed: ${opened.firstProblem}`);
  const total = opened.connections.length;
  driver.total = total;
  const trigger = maskedFrame(Opcode.Text, Buffer.from(spec.message));
  const durationsMs: number[] = [];
  let serverCpu: CpuMeter | undefined;
  let machineCpu: MachineMeter | undefined;
  let loadCpu: CpuMeter | undefined;
  let bytesBefore = 0;
  for (let i = 0; i < spec.warmupBroadcasts + spec.broadcasts && total > 0 && Date.now() < deadline; i++) {
    if (i === spec.warmupBroadcasts) {
      onPhase?.('measure-start');
      // The listener may have to start a profiler in the server: give it a moment.
      await sleep(200);
      serverCpu = new CpuMeter(spec.serverPid);
      machineCpu = new MachineMeter();
      loadCpu = new CpuMeter(process.pid);
      bytesBefore = bytesIn(opened.connections);
    }
    const all = driver.expectAll(10000);
    const started = performance.now();
    opened.connections[0].write(trigger);
    if (!(await all)) {
      driver.problems.add(`a broadcast reached ${driver.arrived} of ${total} connections in 10 s`);
      break;
    }
    if (i >= spec.warmupBroadcasts) durationsMs.push(driver.lastArrival - started);
    await sleep(spec.pauseMs);
  }
  if (serverCpu !== undefined) onPhase?.('measure-end');
  const wireBytes = bytesIn(opened.connections) - bytesBefore;
  const cpuSeconds = serverCpu?.usedSeconds() ?? Number.NaN;
  const serverCores = serverCpu?.read() ?? Number.NaN;
  const machineCores = machineCpu?.read() ?? Number.NaN;
  const loadCores = loadCpu?.read() ?? Number.NaN;
  await closeConnections(opened.connections);
  const sorted = [...durationsMs].sort((a, b) => a - b);
  return {
    durationsMs,
    medianMs: sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)] : Number.NaN,
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    serverCpuMsPerBroadcast: durationsMs.length > 0 ? (cpuSeconds * 1000) / durationsMs.length : Number.NaN,
    wireBytesPerMessage: durationsMs.length > 0 && total > 0 ? wireBytes / (durationsMs.length * total) : Number.NaN,
    serverCpu: serverCores,
    loadCpu: loadCores,
    machineCpu: machineCores,
    openSeconds: opened.seconds,
    problems: [...driver.problems],
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function bytesIn(connections: readonly LoadConnection[]): number {
  let total = 0;
  for (const connection of connections) total += connection.bytesIn;
  return total;
}
