// `npm run fuzz -- [--cases N] [--seed S] [--case I] [--concurrency C] [--idle SECONDS]`
// Seeded frame fuzzing of a Duet echo in its own process, on 127.0.0.1 only (the same session
// the jest test runs, with more cases). Without --seed a seed is drawn and printed; --case I
// replays case I of that seed alone and prints what it sent. Exits 1 on any failure.
import { describeFailure } from '../packages/websocket/test/fuzz/fuzz-runner';
import { fuzzSession } from '../packages/websocket/test/fuzz/fuzz-session';
import { Random, caseSeed } from '../packages/websocket/test/fuzz/prng';
import { generateCase } from '../packages/websocket/test/fuzz/frame-generator';

const USAGE = 'Usage: npm run fuzz -- [--cases N] [--seed S] [--case I] [--concurrency C] [--idle SECONDS]';

function parseArgs(argv: string[]): Record<string, number> {
  const known = new Set(['cases', 'seed', 'case', 'concurrency', 'idle']);
  const values: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!argv[i].startsWith('--') || !known.has(name) || !Number.isFinite(value) || value < 0) {
      console.error(`${argv[i]} ${argv[i + 1] ?? ''}: not understood.\n${USAGE}`);
      process.exit(2);
    }
    values[name] = value;
  }
  return values;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seed = (args.seed ?? Math.floor(Math.random() * 0x7fffffff)) >>> 0;
  const replaying = args.case !== undefined;
  const first = replaying ? Math.floor(args.case) : 0;
  const cases = replaying ? 1 : Math.floor(args.cases ?? 10000);
  console.log(replaying ? `replaying case ${first} of seed ${seed}` : `fuzzing ${cases} cases with seed ${seed}`);
  if (replaying) {
    const fuzzCase = generateCase(new Random(caseSeed(seed, first)), 65536);
    for (const step of fuzzCase.steps) console.log(`  - ${step}`);
    console.log(`  ${fuzzCase.bytes.length} bytes: ${fuzzCase.bytes.toString('hex')}`);
  }
  let done = 0;
  const { report, problems } = await fuzzSession({
    seed,
    first,
    cases,
    concurrency: args.concurrency,
    idleSeconds: args.idle,
    onCase: (index, judgement) => {
      if (replaying) console.log(judgement.ok ? `  passed: ${judgement.outcome}` : `  FAILED: ${judgement.reason}`);
      if (++done % 1000 === 0) console.log(`  ${done} cases…`);
    },
  });
  console.log(`\n${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s; the control connection echoed ${report.controlEchoes} times`);
  for (const [outcome, count] of Object.entries(report.outcomes).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${String(count).padStart(7)}  ${outcome}`);
  }
  for (const failure of report.failures) console.error(`\n${describeFailure(failure)}`);
  for (const problem of problems) console.error(`\nPROBLEM: ${problem}`);
  const failed = report.failures.length > 0 || problems.length > 0;
  console.log(failed ? `\nFAILED (seed ${seed})` : `\npassed (seed ${seed})`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
