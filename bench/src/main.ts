// `npm run bench -- [options]`: runs every scenario (or some) and writes bench/results/.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runBench, writeResults } from './bench';
import { renderTargetsText } from './report';
import { SCENARIOS, type Scenario } from './scenarios';
import { BENCH_ROOT, addServersAgainst, againstId, hasServer } from './servers';

const USAGE = `Usage: npm run bench -- [--rounds N] [--warmup MS] [--measure MS] [--only ID,ID] [--out DIR] [--time-limit S]
  --rounds N      turns per server in every scenario (default 5; idle at most 4, broadcast at most 3)
  --warmup MS     warm-up of each turn in the first round (default 1000; later rounds at most 400)
  --measure MS    measured time of each turn (default 1500)
  --only IDS      scenarios to run, by id: ${SCENARIOS.map((scenario) => scenario.id).join(', ')}
  --servers IDS   in each scenario, only these servers (and its baselines), by id: for a closer look at a pair
  --out DIR       where results go (default bench/results)
  --time-limit S  no scenario starts after S seconds (default 420)
  --against DIR   also run every Duet server from DIR (another built checkout), side by side
  --pin on|off    servers on the last processor, the load generator on the first (default on, with 2+ cores and taskset)`;

function parse(argv: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith('--') || i + 1 >= argv.length) {
      console.error(`unexpected argument '${arg}'\n${USAGE}`);
      process.exit(2);
    }
    options[arg.slice(2)] = argv[++i];
  }
  return options;
}

function positive(options: Record<string, string>, name: string, fallback: number): number {
  if (options[name] === undefined) return fallback;
  const value = Number(options[name]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} takes a positive number, got '${options[name]}'`);
    process.exit(2);
  }
  return value;
}

/** The server on the last processor, the load generator on the first, when there are two and taskset. */
function pinning(): { server: number; load: number } | undefined {
  const cpus = os.cpus().length;
  if (cpus < 2) return undefined;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { server: cpus - 1, load: 0 };
}

/** The scenarios with only `ids` among their servers, besides the baselines every ratio needs. */
function onlyServers(scenarios: readonly Scenario[], ids: string[]): Scenario[] {
  return scenarios.map((scenario) => {
    const kept = new Set([scenario.baseline, ...(scenario.alsoAgainst ?? []), ...ids.flatMap((id) => [id.trim(), againstId(id.trim())])]);
    return { ...scenario, servers: scenario.servers.filter((id) => kept.has(id)) };
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parse(argv);
  const known = new Set(['rounds', 'warmup', 'measure', 'only', 'servers', 'out', 'time-limit', 'pin', 'against']);
  for (const name of Object.keys(options)) {
    if (!known.has(name)) {
      console.error(`unknown option --${name}\n${USAGE}`);
      process.exit(2);
    }
  }
  const only = options.only?.split(',').map((id) => id.trim());
  let scenarios = only === undefined ? SCENARIOS : SCENARIOS.filter((scenario) => only.includes(scenario.id));
  if (options.against !== undefined) {
    addServersAgainst(options.against);
    scenarios = scenarios.map((scenario) => ({
      ...scenario,
      servers: scenario.servers.flatMap((id) => (hasServer(againstId(id)) ? [id, againstId(id)] : [id])),
    }));
  }
  if (only !== undefined && scenarios.length !== only.length) {
    console.error(`unknown scenario in --only ${options.only}\n${USAGE}`);
    process.exit(2);
  }
  const outcome = await runBench({
    scenarios: options.servers === undefined ? scenarios : onlyServers(scenarios, options.servers.split(',')),
    rounds: Math.round(positive(options, 'rounds', 5)),
    warmupMs: positive(options, 'warmup', 1000),
    measureMs: positive(options, 'measure', 1500),
    timeLimitSeconds: positive(options, 'time-limit', 420),
    pin: options.pin === 'off' ? undefined : pinning(),
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    log: (line) => console.log(line),
  });
  const files = writeResults(outcome, path.resolve(options.out ?? path.join(BENCH_ROOT, 'results')));
  console.log(`\n${renderTargetsText(outcome.report.targets)}\n`);
  for (const file of files) console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
