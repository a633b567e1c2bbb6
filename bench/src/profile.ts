// `npm run bench -- profile <scenario> <server,server…> [--seconds N]`: where a server spends
// its CPU and what it allocates under a scenario's load. For each server, a fresh process:
//   pass 1, a V8 CPU profile of the measured window (the profiler --cpu-prof uses, started and
//           stopped over the inspector, so start-up and warm-up stay out);
//   pass 2, allocation sampling of the measured window, per message (throughput, broadcast), or
//           what 10,000 idle connections keep alive, per connection (idle).
// Writes bench/results/profiles/<scenario>.md (and the raw profiles under raw/, not committed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LoadGenerator } from './load-generator';
import type { Phase } from './load/loadgen';
import { type AllocationSummary, type CpuSummary, allocationTable, cpuTable, summarizeAllocations, summarizeCpu } from './profile-summary';
import { SCENARIOS, type Scenario, broadcastSpec, throughputSpec } from './scenarios';
import { ServerProcess } from './server-process';
import { BENCH_ROOT, type ServerDefinition, addServersAgainst, serverById } from './servers';

interface ServerProfile {
  server: ServerDefinition;
  /** What the window handled: messages, broadcasts' deliveries or connections. */
  cpuUnits: number;
  allocationUnits: number;
  cpu: CpuSummary;
  allocations: AllocationSummary;
  figure: string;
}

function pin(): { server: number; load: number } | undefined {
  const cpus = os.cpus().length;
  if (cpus < 2) return undefined;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return { server: cpus - 1, load: 0 };
  } catch {
    return undefined;
  }
}

/** Runs the scenario's load once, with `start`/`stop` called around the measured window. */
async function loadOnce(
  scenario: Scenario,
  server: ServerProcess,
  load: LoadGenerator,
  seconds: number,
  start: () => Promise<unknown>,
  stop: () => Promise<unknown>,
): Promise<{ units: number; figure: string }> {
  const pending: Promise<unknown>[] = [];
  const onPhase = (phase: Phase) => pending.push(phase === 'measure-start' ? start() : stop());
  const target = { port: server.port, path: '/ws', serverPid: server.pid };
  if (scenario.kind === 'throughput') {
    const result = await load.throughput(throughputSpec(scenario, server, 1000, seconds * 1000), seconds * 1000 + 30000, onPhase);
    await Promise.all(pending);
    return { units: result.measuredMessages, figure: `${Math.round(result.messagesPerSecond).toLocaleString('en-US')} msgs/s` };
  }
  if (scenario.kind === 'broadcast') {
    const broadcasts = Math.max(10, Math.round((seconds * 1000) / (scenario.pauseMs + 60)));
    const result = await load.broadcast(broadcastSpec(scenario, server, broadcasts), 120000, onPhase);
    await Promise.all(pending);
    return { units: result.durationsMs.length * scenario.connections, figure: `${result.medianMs.toFixed(1)} ms to all` };
  }
  const idle = { ...target, concurrency: scenario.concurrency };
  await load.openIdle({ ...idle, connections: scenario.warmupConnections }, 60000);
  await load.closeIdle(30000);
  await start();
  const opened = await load.openIdle({ ...idle, connections: scenario.connections }, 120000);
  await stop();
  await load.closeIdle(30000);
  return { units: opened.opened, figure: `${Math.round(opened.handshakesPerSecond).toLocaleString('en-US')} handshakes/s` };
}

async function profileServer(
  scenario: Scenario,
  server: ServerDefinition,
  load: LoadGenerator,
  seconds: number,
  rawDirectory: string,
  cpuOn: number | undefined,
): Promise<ServerProfile> {
  const cpuFile = path.join(rawDirectory, `${scenario.id}.${server.id}.cpuprofile`);
  const heapFile = path.join(rawDirectory, `${scenario.id}.${server.id}.heapprofile`);
  const idle = scenario.kind === 'idle';

  let process = await ServerProcess.start(server, cpuOn);
  const cpuRun = await loadOnce(
    scenario,
    process,
    load,
    seconds,
    () => process.ask('cpuStart', { interval: 200 }),
    () => process.ask('cpuStop', { file: cpuFile }),
  );
  await process.stop();

  process = await ServerProcess.start(server, cpuOn);
  const allocationRun = await loadOnce(
    scenario,
    process,
    load,
    seconds,
    // Idle: only what the connections keep (after a full GC); otherwise every allocation.
    () => process.ask('allocStart', { interval: idle ? 128 : 4096, liveOnly: idle }),
    () => process.ask('allocStop', { file: heapFile, gc: idle }, 60000),
  );
  await process.stop();

  return {
    server,
    cpuUnits: cpuRun.units,
    allocationUnits: allocationRun.units,
    cpu: summarizeCpu(JSON.parse(readFileSync(cpuFile, 'utf8'))),
    allocations: summarizeAllocations(JSON.parse(readFileSync(heapFile, 'utf8')), allocationRun.units),
    figure: cpuRun.figure,
  };
}

function render(scenario: Scenario, profiles: ServerProfile[], seconds: number): string {
  const unit = scenario.kind === 'idle' ? 'connection' : scenario.kind === 'broadcast' ? 'delivery' : 'message';
  const what =
    scenario.kind === 'idle'
      ? 'CPU while 10,000 connections are opened; allocations still alive (after a full GC) once they are open'
      : `CPU and every allocation over ${seconds} s of load after a 1 s warm-up`;
  const lines = [
    `# Profile: ${scenario.title}`,
    '',
    `Written by \`npm run bench -- profile ${scenario.id} ${profiles.map((profile) => profile.server.id).join(',')}\` ` +
      `on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}. ${what}. Each pass runs in a fresh server process; ` +
      'the figure beside each server is from the CPU-profiled pass (profiling slows it down a little).',
    '',
  ];
  for (const profile of profiles) {
    lines.push(`## ${profile.server.label} (${profile.figure})`, '', '### CPU', '', ...cpuTable(profile.cpu), '');
    lines.push('### Allocations', '', ...allocationTable(profile.allocations, unit), '');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const usage = 'Usage: npm run bench -- profile <scenario> <server,server…> [--seconds N] [--against DIR]';
  const secondsAt = args.indexOf('--seconds');
  const seconds = secondsAt >= 0 ? Number(args.splice(secondsAt, 2)[1]) : 5;
  // With another checkout, its Duet servers are `<id>@against` (see addServersAgainst).
  const againstAt = args.indexOf('--against');
  if (againstAt >= 0) addServersAgainst(args.splice(againstAt, 2)[1]);
  const [scenarioId, serverIds] = args;
  const scenario = SCENARIOS.find((candidate) => candidate.id === scenarioId);
  if (scenario === undefined || serverIds === undefined || !(seconds > 0)) {
    console.error(`${usage}\nScenarios: ${SCENARIOS.map((candidate) => candidate.id).join(', ')}`);
    process.exit(2);
  }
  const servers = serverIds.split(',').map(serverById);
  const directory = path.join(BENCH_ROOT, 'results', 'profiles');
  const rawDirectory = path.join(directory, 'raw');
  mkdirSync(rawDirectory, { recursive: true });
  const pinning = pin();
  const load = LoadGenerator.start(pinning?.load);
  const profiles: ServerProfile[] = [];
  try {
    for (const server of servers) {
      const unavailable = server.unavailable?.();
      if (unavailable !== undefined) {
        console.log(`${server.label}: ${unavailable}`);
        continue;
      }
      console.log(`profiling ${server.label} under ${scenario.title}`);
      profiles.push(await profileServer(scenario, server, load, seconds, rawDirectory, pinning?.server));
    }
  } finally {
    await load.stop();
  }
  const file = path.join(directory, `${scenario.id}.md`);
  writeFileSync(file, render(scenario, profiles, seconds));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
