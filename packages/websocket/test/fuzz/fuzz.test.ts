// Issue 7, part 3: a few thousand seeded fuzz cases (mutations of valid frames) against a Duet
// echo running as its own process. Every fuzzed connection must end with a close code from
// RFC 6455 §7.4.1 (or the echo of the client's own) or a TCP close, a control connection must
// keep echoing throughout, and the process must stay up without an unhandled rejection.
// More on demand: `npm run fuzz -- --cases N --seed S` (here: FUZZ_CASES, FUZZ_SEED).
import { describeFailure } from './fuzz-runner';
import { fuzzSession } from './fuzz-session';

const SEED = Number(process.env.FUZZ_SEED ?? 72025);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

it(`ends each of ${CASES} fuzzed connections (seed ${SEED}) with an RFC close code or a TCP close, while a control connection keeps echoing`, async () => {
  const { report, problems } = await fuzzSession({ seed: SEED, cases: CASES });
  if (report.failures.length > 0) {
    console.error(`${report.failures.length} fuzz failure(s):\n\n${report.failures.slice(0, 10).map(describeFailure).join('\n\n')}`);
  }
  expect(report.failures.map((failure) => `case ${failure.index} of seed ${failure.seed}: ${failure.reason}`)).toEqual([]);
  expect(problems).toEqual([]);
  // The cases reach the parser's every exit: clean closes, protocol errors, bad UTF-8, oversize, idle.
  expect(Object.keys(report.outcomes)).toEqual(
    expect.arrayContaining(['close 1000', 'close 1001', 'close 1002', 'close 1007', 'close 1009']),
  );
}, 60000);
