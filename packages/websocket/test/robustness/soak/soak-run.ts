// The soak (issue 7, part 5): the hostile server's /echo in its own process, churned by `Churn`
// at a steady rate for a set time while the server reports its memory (after a full GC) and
// live handles every few seconds. Writes soak.csv, soak.svg and soak-summary.json, and fails if
// memory or handles grow without bound (growth-verdict.ts), the server printed an unhandled
// rejection, or the churn saw errors. Started by `npm run soak` (scripts/soak.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerSample } from '../hostile-server';
import { ServerProcess } from '../server-process';
import { Churn, type ChurnCounts } from './churn';
import { type Margin, type SeriesVerdict, judgeGrowth } from './growth-verdict';
import { renderSvg } from './svg-chart';

export interface SoakOptions {
  readonly minutes: number;
  /** New connections per second. */
  readonly rate: number;
  readonly sampleSeconds: number;
  readonly outDir: string;
  /** A deliberate leak in the server, in bytes per connection (to see the verdict fail). */
  readonly leakBytesPerConnection?: number;
  readonly log?: (line: string) => void;
}

export interface SoakRow {
  readonly elapsedSeconds: number;
  readonly sample: ServerSample;
  /** Connections the client had finished by then. */
  readonly churned: number;
}

export interface SoakResult {
  readonly passed: boolean;
  readonly reasons: readonly string[];
  readonly verdicts: readonly SeriesVerdict[];
  readonly churn: ChurnCounts;
  readonly rows: readonly SoakRow[];
  readonly files: readonly string[];
}

const MiB = 1024 * 1024;

/** What each measured series may grow by between the second and the last quarter. */
const MARGINS: Record<string, { pick: (sample: ServerSample) => number; margin: Margin }> = {
  'heap used (bytes)': { pick: (s) => s.heapUsed, margin: { relative: 0.1, absolute: 4 * MiB } },
  'external (bytes)': { pick: (s) => s.external, margin: { relative: 0.1, absolute: 4 * MiB } },
  'rss (bytes)': { pick: (s) => s.rss, margin: { relative: 0.15, absolute: 24 * MiB } },
  'active handles': { pick: (s) => s.activeResources, margin: { relative: 0.15, absolute: 30 } },
};

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const server = await ServerProcess.start({ HOSTILE_LEAK_PER_CONNECTION: String(options.leakBytesPerConnection ?? 0) });
  const churn = new Churn({ port: server.port, path: '/echo', rate: options.rate });
  const rows: SoakRow[] = [];
  const started = Date.now();
  try {
    await server.reportEvery(options.sampleSeconds * 1000, (sample) => {
      const row = { elapsedSeconds: (sample.at - started) / 1000, sample, churned: churn.counts.finished };
      rows.push(row);
      log(describeRow(row));
    });
    churn.start();
    await new Promise((resolve) => setTimeout(resolve, options.minutes * 60000));
    await churn.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = (await server.stats()).sample;

    const reasons: string[] = [];
    const verdicts: SeriesVerdict[] = [];
    if (rows.length < 8) {
      reasons.push(`only ${rows.length} samples: run longer or sample more often`);
    } else {
      for (const [name, { pick, margin }] of Object.entries(MARGINS)) {
        const verdict = judgeGrowth(name, rows.map((row) => pick(row.sample)), margin);
        verdicts.push(verdict);
        if (verdict.grew) reasons.push(`${name} grew: ${verdict.secondQuarterMedian} → ${verdict.lastQuarterMedian} (limit ${Math.round(verdict.limit)})`);
      }
    }
    if (!server.alive) reasons.push('the server process died');
    reasons.push(...server.problems, ...server.printedProblems().map((line) => `printed: ${line}`));
    if (after.connections !== 0) reasons.push(`${after.connections} connection(s) still open 2 s after the churn stopped`);
    const { started: opened, errors, skipped } = churn.counts;
    if (errors > opened / 1000) reasons.push(`${errors} of ${opened} connections failed: ${churn.counts.errorSamples.join('; ')}`);
    if (skipped > opened / 100) reasons.push(`${skipped} connections were skipped: the client could not keep the rate`);

    const files = writeResults(options, rows, churn.counts, verdicts, reasons);
    return { passed: reasons.length === 0, reasons, verdicts, churn: churn.counts, rows, files };
  } finally {
    await churn.stop();
    await server.stop();
  }
}

function describeRow({ elapsedSeconds, sample, churned }: SoakRow): string {
  return (
    `${(elapsedSeconds / 60).toFixed(2).padStart(6)} min  rss ${mib(sample.rss)} MiB  heap ${mib(sample.heapUsed)} MiB  ` +
    `external ${mib(sample.external)} MiB  handles ${sample.activeResources}  open ${sample.connections}  churned ${churned}`
  );
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function writeResults(
  options: SoakOptions,
  rows: readonly SoakRow[],
  counts: ChurnCounts,
  verdicts: readonly SeriesVerdict[],
  reasons: readonly string[],
): string[] {
  mkdirSync(options.outDir, { recursive: true });
  const csvPath = path.join(options.outDir, 'soak.csv');
  const svgPath = path.join(options.outDir, 'soak.svg');
  const summaryPath = path.join(options.outDir, 'soak-summary.json');
  const header = 'elapsed_s,rss_mib,heap_total_mib,heap_used_mib,external_mib,array_buffers_mib,active_handles,open_connections,churned';
  const lines = rows.map(({ elapsedSeconds, sample: s, churned }) =>
    [elapsedSeconds.toFixed(1), mib(s.rss), mib(s.heapTotal), mib(s.heapUsed), mib(s.external), mib(s.arrayBuffers), s.activeResources, s.connections, churned].join(','),
  );
  writeFileSync(csvPath, `${[header, ...lines].join('\n')}\n`);

  const minutes = (row: SoakRow) => row.elapsedSeconds / 60;
  const series = (name: string, color: string, pick: (s: ServerSample) => number) => ({
    name,
    color,
    points: rows.map((row) => [minutes(row), pick(row.sample)] as const),
  });
  const first = rows[0];
  const last = rows[rows.length - 1];
  writeFileSync(
    svgPath,
    renderSvg({
      title: `Duet soak: ${options.minutes} min, ${options.rate} connections/s — ${reasons.length === 0 ? 'passed' : 'FAILED'}`,
      subtitle:
        first === undefined
          ? undefined
          : `${counts.finished} connections churned, ${counts.messages} messages echoed; ` +
            `heap used ${mib(first.sample.heapUsed)} → ${mib(last.sample.heapUsed)} MiB, rss ${mib(first.sample.rss)} → ${mib(last.sample.rss)} MiB`,
      xLabel: 'minutes',
      panels: [
        {
          label: 'server memory after GC (MiB)',
          series: [
            series('rss', '#d62728', (s) => s.rss / MiB),
            series('heap total', '#ff7f0e', (s) => s.heapTotal / MiB),
            series('heap used', '#1f77b4', (s) => s.heapUsed / MiB),
            series('external', '#2ca02c', (s) => s.external / MiB),
          ],
        },
        {
          label: 'count',
          series: [
            series('active handles', '#9467bd', (s) => s.activeResources),
            series('open connections', '#8c564b', (s) => s.connections),
          ],
        },
      ],
    }),
  );
  writeFileSync(
    summaryPath,
    `${JSON.stringify(
      {
        minutes: options.minutes,
        rate: options.rate,
        sampleSeconds: options.sampleSeconds,
        passed: reasons.length === 0,
        reasons,
        churn: counts,
        start: first?.sample,
        end: last?.sample,
        verdicts,
        node: process.version,
      },
      null,
      2,
    )}\n`,
  );
  return [csvPath, svgPath, summaryPath];
}
