// Idle connections: opened as fast as the server completes handshakes (at most `concurrency`
// under way), then held without traffic so the server's memory per connection can be read.
// Connections that asked for a session get its `$session` frame first, and nothing after it.
import { CpuMeter, MachineMeter } from '../proc';
import { Opcode } from './frames';
import { type LoadConnection, type LoadDriver, closeConnections, openConnections } from './load-connection';

export interface OpenIdleSpec {
  port: number;
  path: string;
  serverPid: number;
  connections: number;
  concurrency: number;
  /** The connections asked for a resumable session: one text frame each (`$session`) is expected. */
  session?: boolean;
}

export interface OpenIdleResult {
  opened: number;
  handshakesPerSecond: number;
  serverCpu: number;
  loadCpu: number;
  machineCpu: number;
  problems: string[];
}

class IdleDriver implements LoadDriver {
  readonly problems = new Set<string>();

  constructor(private readonly session: boolean) {}

  frame(connection: LoadConnection, opcode: number, length: number): void {
    if (opcode === Opcode.Close) return;
    // The one frame a session's connection gets: its `$session` (a server without `resume` sends none).
    if (this.session && opcode === Opcode.Text && connection.state === undefined) {
      connection.state = 'session';
      return;
    }
    this.problems.add(`an idle connection got a frame: opcode ${opcode}, ${length} bytes`);
  }

  readDone(): void {}

  closed(connection: LoadConnection): void {
    if (connection.problem !== undefined) this.problems.add(connection.problem);
  }
}

/** The idle connections this process holds between `openIdle` and `closeIdle`. */
const held: LoadConnection[] = [];
let driver = new IdleDriver(false);

export async function openIdle(spec: OpenIdleSpec, deadline: number): Promise<OpenIdleResult> {
  driver = new IdleDriver(spec.session === true);
  const serverCpu = new CpuMeter(spec.serverPid);
  const loadCpu = new CpuMeter(process.pid);
  const machineCpu = new MachineMeter();
  const result = await openConnections(spec.port, spec.path, spec.connections, spec.concurrency, driver, deadline);
  held.push(...result.connections);
  if (result.failed > 0) driver.problems.add(`${result.failed} connections failed: ${result.firstProblem}`);
  return {
    opened: result.connections.length,
    handshakesPerSecond: result.connections.length / result.seconds,
    serverCpu: serverCpu.read(),
    loadCpu: loadCpu.read(),
    machineCpu: machineCpu.read(),
    problems: [...driver.problems],
  };
}

/** Closes every held connection; returns what went wrong while they were held. */
export async function closeIdle(): Promise<string[]> {
  const connections = held.splice(0);
  await closeConnections(connections, 5000);
  return [...driver.problems];
}
