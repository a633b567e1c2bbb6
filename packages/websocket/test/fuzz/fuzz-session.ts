// One fuzz session as the jest test and `npm run fuzz` both run it: the hostile server in its
// own process, the cases against its /fuzz echo, then what must hold of the process afterwards
// (still up, nothing unhandled printed, no error logged, every connection gone).
import { ServerProcess } from '../robustness/server-process';
import { destroyRawSockets } from '../robustness/support';
import { type FuzzOptions, type FuzzReport, runFuzz } from './fuzz-runner';

export interface SessionOptions extends Omit<FuzzOptions, 'port'> {
  /** idleTimeout of the fuzzed service in seconds: how long a case that leaves it waiting lasts. Default 0.25. */
  readonly idleSeconds?: number;
}

export interface SessionResult {
  readonly report: FuzzReport;
  /** What went wrong with the server process or the control connection (empty when all is well). */
  readonly problems: readonly string[];
}

export async function fuzzSession(options: SessionOptions): Promise<SessionResult> {
  const server = await ServerProcess.start({ HOSTILE_FUZZ_IDLE: String(options.idleSeconds ?? 0.25) });
  try {
    const errorLines = await server.countMatching(/^log\.error\./);
    const closesBefore = await server.count('fuzz.close');
    const report = await runFuzz({ ...options, port: server.port });
    const problems: string[] = [];
    problems.push(...report.controlMisses.map((miss) => `the control connection missed an echo ${miss}`));
    if (report.controlEchoes < Math.floor(report.ms / 1000)) {
      problems.push(`the control connection echoed only ${report.controlEchoes} times in ${report.ms} ms`);
    }
    if (!server.alive) {
      problems.push(`the server process died:\n${server.stderr.slice(-2000)}`);
      return { report, problems };
    }
    problems.push(...server.problems, ...server.printedProblems().map((line) => `printed: ${line}`));
    const errorsLogged = (await server.countMatching(/^log\.error\./)) - errorLines;
    if (errorsLogged > 0) problems.push(`the server logged ${errorsLogged} error(s):\n${server.stderr.slice(-2000)}`);
    // Every case's connection reaches @OnClose and leaves the server (the control has closed too).
    try {
      await server.waitForCount('fuzz.close', closesBefore + report.cases, 10000);
    } catch (error) {
      problems.push(`not every fuzzed connection was closed on the server: ${(error as Error).message}`);
    }
    const { connections } = (await server.stats()).sample;
    if (connections !== 0) problems.push(`${connections} connection(s) still open on the server after the run`);
    return { report, problems };
  } finally {
    destroyRawSockets();
    await server.stop();
  }
}
