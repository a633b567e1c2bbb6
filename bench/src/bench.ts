// One bench run from scenarios to results: run, summarise, check the targets, render the
// table and the chart. Used by `npm run bench` (main.ts) and by the smoke test.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderChart } from './chart';
import { describeMachine } from './machine';
import { type BenchReport, renderMarkdown } from './report';
import { type RunSettings, type ScenarioRun, runScenarios } from './runner';
import type { Scenario } from './scenarios';
import { summarize } from './summary';
import { evaluateTargets } from './targets';

export interface BenchOptions extends RunSettings {
  scenarios: readonly Scenario[];
  /** Seconds after which no further scenario is started. */
  timeLimitSeconds: number;
  /** How the run was started, for the report. */
  command: string;
  log?: (line: string) => void;
}

export interface BenchOutcome {
  report: BenchReport;
  runs: ScenarioRun[];
  markdown: string;
  svg: string;
}

export const CHART_FILE = 'ratios.svg';

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const started = Date.now();
  const runs = await runScenarios({
    scenarios: options.scenarios,
    rounds: options.rounds,
    warmupMs: options.warmupMs,
    measureMs: options.measureMs,
    pin: options.pin,
    quietChecks: options.quietChecks,
    deadline: started + options.timeLimitSeconds * 1000,
    log: options.log ?? (() => undefined),
  });
  const summaries = runs.map(summarize);
  const targets = evaluateTargets(summaries);
  const report: BenchReport = {
    startedAt: new Date(started).toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: (Date.now() - started) / 1000,
    command: options.command,
    machine: describeMachine(),
    settings: { rounds: options.rounds, warmupMs: options.warmupMs, measureMs: options.measureMs, pin: options.pin },
    summaries,
    targets,
  };
  return { report, runs, markdown: renderMarkdown(report, CHART_FILE), svg: renderChart(summaries, targets) };
}

/** latest.md, the chart beside it, and latest.json with every round's figures. */
export function writeResults(outcome: BenchOutcome, directory: string): string[] {
  mkdirSync(directory, { recursive: true });
  const files = {
    'latest.md': outcome.markdown,
    [CHART_FILE]: outcome.svg,
    'latest.json': `${JSON.stringify({ ...outcome.report, summaries: undefined, runs: outcome.runs }, null, 2)}\n`,
  };
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(directory, name);
    writeFileSync(file, text);
    return file;
  });
}
