// `npm run soak -- [--minutes M] [--rate R] [--sample-seconds S] [--out DIR] [--leak BYTES]`
// Churns connections against a Duet echo in its own process (127.0.0.1 only) for M minutes
// (default 10) at R new connections a second (default 100), sampling the server's memory and
// handles every S seconds (default 5). Writes soak.csv, soak.svg and soak-summary.json to DIR
// (default soak-results/; the committed run is in docs/soak/). Exits 1 if anything grew without
// bound. --leak makes the server keep BYTES per connection, to watch the verdict fail.
import path from 'node:path';
import { runSoak } from '../packages/websocket/test/robustness/soak/soak-run';

const USAGE = 'Usage: npm run soak -- [--minutes M] [--rate R] [--sample-seconds S] [--out DIR] [--leak BYTES]';

function parseArgs(argv: string[]): Record<string, string> {
  const known = new Set(['minutes', 'rate', 'sample-seconds', 'out', 'leak']);
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !known.has(name) || argv[i + 1] === undefined) {
      console.error(`${argv[i]}: not understood.\n${USAGE}`);
      process.exit(2);
    }
    values[name] = argv[i + 1];
  }
  return values;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const number = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    console.error(`--${name} must be a positive number, got ${value}.\n${USAGE}`);
    process.exit(2);
  }
  return number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const minutes = positive('minutes', args.minutes, 10);
  const rate = positive('rate', args.rate, 100);
  const sampleSeconds = positive('sample-seconds', args['sample-seconds'], 5);
  const outDir = path.resolve(args.out ?? 'soak-results');
  const leak = args.leak === undefined ? 0 : positive('leak', args.leak, 0);
  console.log(`soak: ${minutes} min at ${rate} connections/s, a sample every ${sampleSeconds} s${leak > 0 ? `, leaking ${leak} B per connection` : ''}`);
  const result = await runSoak({ minutes, rate, sampleSeconds, outDir, leakBytesPerConnection: leak, log: (line) => console.log(line) });
  const { churn } = result;
  console.log(`\n${churn.finished} connections churned (${Object.entries(churn.byBehaviour).map(([b, n]) => `${b} ${n}`).join(', ')})`);
  console.log(`${churn.messages} messages echoed, ${churn.errors} errors, ${churn.skipped} skipped`);
  for (const verdict of result.verdicts) {
    console.log(
      `  ${verdict.grew ? 'GREW' : 'flat'}  ${verdict.name}: median ${Math.round(verdict.secondQuarterMedian)} in the 2nd quarter, ` +
        `${Math.round(verdict.lastQuarterMedian)} in the last (limit ${Math.round(verdict.limit)})`,
    );
  }
  for (const file of result.files) console.log(`wrote ${path.relative(process.cwd(), file)}`);
  for (const reason of result.reasons) console.error(`FAIL: ${reason}`);
  console.log(result.passed ? 'soak passed' : 'soak FAILED');
  process.exitCode = result.passed ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
