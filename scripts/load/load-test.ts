// Load test (a benchmark, not part of `npm test`):
//   npm run load -- [--connections N] [--processes P --redis] [--generators G] [--hold S] [--timeout S] [--jemalloc] [--json]
// Opens N connections (default 10,000) from load-generator processes of its own to P Duet server
// processes (joined by a redis-server it starts itself with --redis), holds them, sends one room
// broadcast from one server and checks each connection got it exactly once, reads the cluster
// count, closes everything and reads the servers' memory again. Prints the figures (or JSON) and
// exits non-zero when a target of issue #20 is missed or anything was lost. The whole run gives up
// after --timeout seconds (600); every process it started is stopped by its PID on every exit path.
import { StartedProcesses } from './children';
import { LoadOptionsError, parseOptions } from './options';
import { formatResult } from './result';
import { runLoad } from './run';

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof LoadOptionsError)) throw error;
    console.error(`load test: ${error.message}`);
    return 2;
  }
  const started = new StartedProcesses();
  const log = (line: string) => console.error(`load test: ${line}`);
  let stopping = false;
  const stopEverything = async (why: string, code: number) => {
    stopping = true;
    console.error(`load test: ${why}; stopping every process it started`);
    await started.stopAll();
    process.exit(code);
  };
  const giveUp = setTimeout(() => void stopEverything(`gave up after ${options.timeoutSeconds} s`, 1), options.timeoutSeconds * 1000);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stopEverything(`got ${signal}`, 130));
  const command = `npm run load -- ${process.argv.slice(2).join(' ')}`.trim();
  try {
    const result = await runLoad(options, started, command, log);
    // With --json, stdout is the result alone; a person still reads the figures on stderr.
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      console.error(formatResult(result));
    } else console.log(formatResult(result));
    return result.failures.length > 0 ? 1 : 0;
  } catch (error) {
    // Once stopping, the run fails because its children were stopped: that is not news.
    if (!stopping) console.error(`load test FAILED: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    clearTimeout(giveUp);
    await started.stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
