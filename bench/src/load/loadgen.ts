// The load generator as its own process: the runner sends one command at a time over IPC and
// gets the figures back. One thread: on two cores the server under test has the other one.
import { runBroadcast, type BroadcastSpec } from './broadcast';
import { closeIdle, openIdle, type OpenIdleSpec } from './idle';
import { runThroughput, type ThroughputSpec } from './throughput';

export type LoadCommand =
  | { kind: 'throughput'; spec: ThroughputSpec }
  | { kind: 'broadcast'; spec: BroadcastSpec }
  | { kind: 'openIdle'; spec: OpenIdleSpec }
  | { kind: 'closeIdle' };

export interface LoadRequest {
  id: number;
  /** Epoch ms after which the command gives up. */
  deadline: number;
  command: LoadCommand;
}

export interface LoadResponse {
  id: number;
  result?: unknown;
  error?: string;
  /** Sent while a command runs: the measured time starts or ends. */
  phase?: Phase;
}

/** When the measured part of a run starts and ends (profilers hook in there). */
export type Phase = 'measure-start' | 'measure-end';
export type PhaseListener = (phase: Phase) => void;

function run(command: LoadCommand, deadline: number, onPhase: PhaseListener): Promise<unknown> {
  switch (command.kind) {
    case 'throughput':
      return runThroughput(command.spec, deadline, onPhase);
    case 'broadcast':
      return runBroadcast(command.spec, deadline, onPhase);
    case 'openIdle':
      return openIdle(command.spec, deadline);
    case 'closeIdle':
      return closeIdle();
  }
}

if (require.main === module) {
  if (typeof process.send !== 'function') {
    console.error('the load generator is started by the bench runner (it needs an IPC channel)');
    process.exit(2);
  }
  process.on('message', (request: LoadRequest) => {
    const onPhase = (phase: Phase) => process.send!({ id: request.id, phase } satisfies LoadResponse);
    run(request.command, request.deadline, onPhase).then(
      (result) => process.send!({ id: request.id, result } satisfies LoadResponse),
      (error: Error) => process.send!({ id: request.id, error: error.stack ?? String(error) } satisfies LoadResponse),
    );
  });
  // Never outlive the runner, and never run unbounded.
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(0), Number(process.env.BENCH_LIFETIME_MS ?? 15 * 60 * 1000)).unref();
}
