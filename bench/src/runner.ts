// Runs scenarios: the servers of a scenario take turns (A B C, A B C, … for `rounds` rounds),
// each turn a warm-up and a fixed measured time, so that drift of a shared machine hits every
// server alike and ratios are taken within a round.
import type { FigureKey, UsageKey } from './figures';
import { LoadGenerator } from './load-generator';
import { MachineMeter } from './proc';
import {
  type BroadcastScenario,
  type IdleScenario,
  type Scenario,
  type ThroughputScenario,
  broadcastSpec,
  pathOf,
  throughputSpec,
} from './scenarios';
import { ServerProcess } from './server-process';
import { type ServerDefinition, serverById } from './servers';

export interface RoundResult {
  round: number;
  figures: Partial<Record<FigureKey, number>>;
  usage: Partial<Record<UsageKey, number>>;
  problems: string[];
}

export interface ServerRun {
  id: string;
  label: string;
  /** Why it did not run. */
  skipped?: string;
  /** Whether ws had loaded bufferutil in this server. */
  bufferutil?: boolean;
  rounds: RoundResult[];
}

export interface ScenarioRun {
  scenario: Scenario;
  servers: ServerRun[];
  seconds: number;
}

export interface RunSettings {
  /** Rounds of every scenario (a scenario's `maxRounds` may lower it). */
  rounds: number;
  /** Warm-up of a turn in the first round; later rounds, on servers already warm, take at most LATER_WARMUP_MS. */
  warmupMs: number;
  measureMs: number;
  /** Processors for the server and for the load generator, or none (the scheduler decides). */
  pin?: { server: number; load: number };
  /** Wait for a quiet machine before each turn, and measure a disturbed turn again (default true). */
  quietChecks?: boolean;
}

export interface RunOptions extends RunSettings {
  scenarios: readonly Scenario[];
  /** Epoch ms: scenarios that would start after it are skipped. */
  deadline: number;
  log: (line: string) => void;
}

export const LATER_WARMUP_MS = 400;

function roundsOf(scenario: Scenario, options: RunSettings): number {
  return Math.min(options.rounds, scenario.maxRounds ?? options.rounds);
}

export async function runScenarios(options: RunOptions): Promise<ScenarioRun[]> {
  const load = LoadGenerator.start(options.pin?.load);
  const runs: ScenarioRun[] = [];
  try {
    for (const scenario of options.scenarios) {
      const started = Date.now();
      const servers = scenario.servers.map(serverById);
      const run: ScenarioRun = {
        scenario,
        servers: servers.map((server) => ({ id: server.id, label: server.label, rounds: [] })),
        seconds: 0,
      };
      runs.push(run);
      for (const [i, server] of servers.entries()) run.servers[i].skipped = server.unavailable?.();
      if (Date.now() > options.deadline) {
        for (const server of run.servers) server.skipped ??= 'skipped: the run reached its time limit';
        options.log(`${scenario.title}: skipped (time limit)`);
        continue;
      }
      options.log(`${scenario.title}`);
      if (scenario.kind === 'idle') await runIdle(scenario, servers, run, load, options);
      else await runLoaded(scenario, servers, run, load, options);
      run.seconds = (Date.now() - started) / 1000;
    }
  } finally {
    await load.stop();
  }
  return runs;
}

/**
 * The order of the servers' turns in a round: A B C, then B C A, then C A B… Each server takes
 * each place in turn, so what one turn leaves behind for the next (the kernel's sockets in
 * TIME_WAIT, a warmer cache) does not always favour or burden the same server.
 */
export function turnOrder(count: number, round: number): number[] {
  return Array.from({ length: count }, (_, place) => (place + round - 1) % count);
}

/** Throughput and broadcast: every server started once, then turns taken round by round. */
async function runLoaded(
  scenario: ThroughputScenario | BroadcastScenario,
  servers: ServerDefinition[],
  run: ScenarioRun,
  load: LoadGenerator,
  options: RunOptions,
): Promise<void> {
  const started = new Map<string, ServerProcess>();
  try {
    await Promise.all(
      servers.map(async (server, i) => {
        if (run.servers[i].skipped !== undefined) return;
        try {
          const process = await ServerProcess.start(server, options.pin?.server);
          started.set(server.id, process);
          run.servers[i].bufferutil = (await process.memory(false)).bufferutil;
        } catch (error) {
          run.servers[i].skipped = `failed to start: ${(error as Error).message.split('\n')[0]}`;
        }
      }),
    );
    for (let round = 1; round <= roundsOf(scenario, options); round++) {
      for (const i of turnOrder(servers.length, round)) {
        const server = servers[i];
        const process = started.get(server.id);
        if (process === undefined) continue;
        const result = await measureWhenQuiet(options, server.label, () => measureLoaded(scenario, process, load, options, round));
        if (!process.isRunning()) {
          result.problems.push(`the server exited; its last output: ${process.output.slice(-500)}`);
          started.delete(server.id);
        }
        run.servers[i].rounds.push(result);
        options.log(`  round ${round} ${server.label}: ${describe(result)}`);
        if (result.problems.length > 0) options.log(`    problems: ${result.problems.join('; ')}`);
      }
    }
  } finally {
    await Promise.all([...started.values()].map((process) => process.stop()));
  }
}

async function measureLoaded(
  scenario: ThroughputScenario | BroadcastScenario,
  server: ServerProcess,
  load: LoadGenerator,
  options: RunSettings,
  round: number,
): Promise<RoundResult> {
  const warmupMs = round === 1 ? options.warmupMs : Math.min(options.warmupMs, LATER_WARMUP_MS);
  try {
    if (scenario.kind === 'throughput') {
      const measureMs = options.measureMs * (scenario.measureFactor ?? 1);
      const result = await load.throughput(throughputSpec(scenario, server, warmupMs, measureMs), warmupMs + measureMs + 30000);
      return {
        round,
        figures: {
          messagesPerSecond: result.messagesPerSecond,
          p50Micros: result.p50Micros,
          p99Micros: result.p99Micros,
          wireBytesPerMessage: result.wireBytesPerMessage,
        },
        usage: { serverCpu: result.serverCpu, loadCpu: result.loadCpu, machineCpu: result.machineCpu },
        problems: result.problems,
      };
    }
    const result = await load.broadcast(broadcastSpec(scenario, server, scenario.broadcasts), 60000);
    return {
      round,
      figures: {
        broadcastMs: result.medianMs,
        broadcastMaxMs: result.maxMs,
        serverCpuMsPerBroadcast: result.serverCpuMsPerBroadcast,
        wireBytesPerMessage: result.wireBytesPerMessage,
      },
      usage: { serverCpu: result.serverCpu, loadCpu: result.loadCpu, machineCpu: result.machineCpu },
      problems: result.problems,
    };
  } catch (error) {
    return { round, figures: {}, usage: {}, problems: [(error as Error).message.split('\n')[0]] };
  }
}

/** Idle connections: a fresh server process for every turn, so memory starts from the same place. */
async function runIdle(
  scenario: IdleScenario,
  servers: ServerDefinition[],
  run: ScenarioRun,
  load: LoadGenerator,
  options: RunOptions,
): Promise<void> {
  for (let round = 1; round <= roundsOf(scenario, options); round++) {
    for (const i of turnOrder(servers.length, round)) {
      const server = servers[i];
      if (run.servers[i].skipped !== undefined) continue;
      let failedToStart: string | undefined;
      const result = await measureWhenQuiet(options, server.label, async () => {
        let process: ServerProcess;
        try {
          process = await ServerProcess.start(server, options.pin?.server);
        } catch (error) {
          failedToStart = (error as Error).message.split('\n')[0];
          return { round, figures: {}, usage: {}, problems: [failedToStart] };
        }
        try {
          return await measureIdle(scenario, process, load, round);
        } finally {
          await process.stop();
        }
      });
      if (failedToStart !== undefined) {
        run.servers[i].skipped = `failed to start: ${failedToStart}`;
        continue;
      }
      run.servers[i].rounds.push(result);
      options.log(`  round ${round} ${server.label}: ${describe(result)}`);
      if (result.problems.length > 0) options.log(`    problems: ${result.problems.join('; ')}`);
    }
  }
}

async function measureIdle(scenario: IdleScenario, server: ServerProcess, load: LoadGenerator, round: number): Promise<RoundResult> {
  const target = { port: server.port, path: pathOf(scenario), session: scenario.session === true, serverPid: server.pid, concurrency: scenario.concurrency };
  const problems: string[] = [];
  try {
    const warm = await load.openIdle({ ...target, connections: scenario.warmupConnections }, 60000);
    problems.push(...warm.problems, ...(await load.closeIdle(30000)));
    await sleep(500);
    const before = await server.memory(true);
    const opened = await load.openIdle({ ...target, connections: scenario.connections }, 120000);
    problems.push(...opened.problems);
    await sleep(1000);
    const after = await server.memory(true);
    problems.push(...(await load.closeIdle(30000)));
    return {
      round,
      figures: {
        rssPerConnection: (after.rss - before.rss) / opened.opened,
        heapPerConnection: (after.heapUsed - before.heapUsed) / opened.opened,
        handshakesPerSecond: opened.handshakesPerSecond,
      },
      usage: { serverCpu: opened.serverCpu, loadCpu: opened.loadCpu, machineCpu: opened.machineCpu },
      problems: [...new Set(problems)],
    };
  } catch (error) {
    await load.closeIdle(30000).catch(() => undefined);
    return { round, figures: {}, usage: {}, problems: [...problems, (error as Error).message.split('\n')[0]] };
  }
}

/** CPU (cores) other processes may use during a turn before it is measured again. */
const OTHERS_LIMIT = 0.25;

/**
 * This machine is shared: a turn waits (a little) for the machine to be quiet, and a turn during
 * which other processes used more than OTHERS_LIMIT is measured once more; the better-behaved of
 * the two is kept, and how much others used is kept with it.
 */
async function measureWhenQuiet(
  options: RunOptions,
  label: string,
  measure: () => Promise<RoundResult>,
): Promise<RoundResult> {
  if (options.quietChecks === false) return measure();
  let kept: RoundResult | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    await waitForQuiet(3000);
    const result = await measure();
    const { serverCpu, loadCpu, machineCpu } = result.usage;
    if (machineCpu !== undefined && serverCpu !== undefined && loadCpu !== undefined) {
      result.usage.otherCpu = Math.max(0, machineCpu - serverCpu - loadCpu);
    }
    if (kept === undefined || (result.usage.otherCpu ?? Infinity) < (kept.usage.otherCpu ?? Infinity)) kept = result;
    const others = result.usage.otherCpu ?? 0;
    if (others <= OTHERS_LIMIT || Date.now() > options.deadline) break;
    if (attempt === 1) options.log(`    (${label}: other processes used ${others.toFixed(2)} cores; measuring again)`);
  }
  return kept!;
}

/** Waits until the machine has been nearly idle for 300 ms, or `maxMs` passed. */
async function waitForQuiet(maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const meter = new MachineMeter();
    await sleep(300);
    if (meter.read() < 0.15) return;
  }
}

function describe(result: RoundResult): string {
  const figures = Object.entries(result.figures).map(([key, value]) => `${key} ${formatNumber(value)}`);
  const usage = Object.entries(result.usage).map(([key, value]) => `${key} ${formatNumber(value)}`);
  return [...figures, ...usage].join(', ');
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return Math.abs(value) >= 100 ? Math.round(value).toString() : value.toFixed(2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
