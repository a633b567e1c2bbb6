// Draws load runs as one SVG: how long the broadcast took to reach each share of the
// receivers (one line per run, the 2 s target dashed), and how the connections opened over time.
//   node -r ts-node/register/transpile-only scripts/load/chart.ts <result.json>[=label]… -o <chart.svg>
// Each result is what `npm run -s load -- … --json` printed; a label names its line in the legend.
import { readFileSync, writeFileSync } from 'node:fs';
import { BROADCAST_TARGET_MS, type LoadResult, kib } from './result';

const WIDTH = 900;
const PANEL_HEIGHT = 300;
const LEFT = 70;
const RIGHT = WIDTH - 30;
const COLORS = ['#2f6fdf', '#d9534f', '#3a9a4a', '#9a6fd0', '#e39b2d'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round step for an axis running to `max`, giving some five to ten ticks. */
function step(max: number): number {
  const rough = max / 6;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? power * 10;
}

interface Panel {
  top: number;
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  yMax: number;
  xFormat(value: number): string;
  yFormat(value: number): string;
}

function axes(panel: Panel, out: string[]): { x(value: number): number; y(value: number): number } {
  const bottom = panel.top + PANEL_HEIGHT - 50;
  const plotTop = panel.top + 30;
  const x = (value: number) => LEFT + (value / panel.xMax) * (RIGHT - LEFT);
  const y = (value: number) => bottom - (value / panel.yMax) * (bottom - plotTop);
  out.push(`<text x="${WIDTH / 2}" y="${panel.top + 16}" text-anchor="middle" font-size="14" font-weight="bold">${escape(panel.title)}</text>`);
  for (let value = 0; value <= panel.xMax + 1e-9; value += step(panel.xMax)) {
    out.push(`<line x1="${x(value)}" y1="${plotTop}" x2="${x(value)}" y2="${bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x(value)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${panel.xFormat(value)}</text>`);
  }
  for (let value = 0; value <= panel.yMax + 1e-9; value += step(panel.yMax)) {
    out.push(`<line x1="${LEFT}" y1="${y(value)}" x2="${RIGHT}" y2="${y(value)}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y(value) + 4}" text-anchor="end" fill="#555">${panel.yFormat(value)}</text>`);
  }
  out.push(`<line x1="${LEFT}" y1="${bottom}" x2="${RIGHT}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<line x1="${LEFT}" y1="${plotTop}" x2="${LEFT}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<text x="${(LEFT + RIGHT) / 2}" y="${bottom + 34}" text-anchor="middle">${escape(panel.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${(plotTop + bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(plotTop + bottom) / 2})">${escape(panel.yLabel)}</text>`,
  );
  return { x, y };
}

function polyline(points: Array<[number, number]>, color: string): string {
  return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`;
}

export function renderChart(runs: readonly LoadResult[], labels: readonly (string | undefined)[] = []): string {
  const out: string[] = [];
  const legendTop = 40;
  const legendHeight = 18 * runs.length + 10;
  const height = legendTop + legendHeight + 2 * PANEL_HEIGHT + 10;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">Duet: ${runs[0].options.connections.toLocaleString('en')} connections, ${runs[0].options.processes} processes on one Redis, ${runs[0].machine.cores} cores</text>`,
  );
  runs.forEach((run, index) => {
    const b = run.broadcast;
    const text =
      `${labels[index] ?? `run ${index + 1}`} (${run.date.slice(11, 16)} UTC, ${run.options.allocator ?? 'glibc'}): ` +
      `open in ${(run.open.ms / 1000).toFixed(1)} s, RSS ${kib(run.rssPerConnection, 1)}/conn., ` +
      `broadcast 50 % ${b.p50Ms.toFixed(0)} ms, all ${b.allMs === undefined ? 'never' : `${b.allMs.toFixed(0)} ms`}, ${b.once.toLocaleString('en')} exactly once`;
    const y = legendTop + 14 + 18 * index;
    out.push(`<line x1="${LEFT}" y1="${y - 4}" x2="${LEFT + 24}" y2="${y - 4}" stroke="${COLORS[index % COLORS.length]}" stroke-width="3"/>`);
    out.push(`<text x="${LEFT + 32}" y="${y}">${escape(text)}</text>`);
  });

  // The broadcast: receive time against the share of receivers that had it by then.
  const slowest = Math.max(BROADCAST_TARGET_MS, ...runs.map((run) => run.broadcast.cdf.at(-1) ?? 0));
  const broadcastPanel: Panel = {
    top: legendTop + legendHeight,
    title: 'One room broadcast: time from the send until each receiver had it',
    xLabel: 'milliseconds after the send',
    yLabel: 'receivers that had it (%)',
    xMax: Math.ceil((slowest * 1.05) / 100) * 100,
    yMax: 100,
    xFormat: (value) => `${value}`,
    yFormat: (value) => `${value}`,
  };
  const b = axes(broadcastPanel, out);
  const bottom = broadcastPanel.top + PANEL_HEIGHT - 50;
  out.push(`<line x1="${b.x(BROADCAST_TARGET_MS)}" y1="${broadcastPanel.top + 30}" x2="${b.x(BROADCAST_TARGET_MS)}" y2="${bottom}" stroke="#d9534f" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${b.x(BROADCAST_TARGET_MS) + 6}" y="${bottom - 8}" fill="#d9534f">target: all within ${BROADCAST_TARGET_MS} ms</text>`);
  runs.forEach((run, index) => {
    const cdf = run.broadcast.cdf;
    const share = run.broadcast.receivers / run.open.wanted;
    out.push(polyline(cdf.map((ms, at) => [b.x(ms), b.y((at / (cdf.length - 1)) * 100 * share)]), COLORS[index % COLORS.length]));
  });

  // Opening: connections open over time, summed over the generators.
  const longest = Math.max(...runs.map((run) => (run.open.progress.length * run.open.progressTickMs) / 1000));
  const openPanel: Panel = {
    top: broadcastPanel.top + PANEL_HEIGHT,
    title: `Opening: connections open over time (${runs[0].options.generators} generators, ${runs[0].sourceAddresses.length} source addresses)`,
    xLabel: 'seconds after the first connection attempt',
    yLabel: 'connections open (thousands)',
    xMax: Math.ceil(longest / 5) * 5,
    yMax: runs[0].open.wanted / 1000,
    xFormat: (value) => `${value}`,
    yFormat: (value) => `${value}`,
  };
  const o = axes(openPanel, out);
  runs.forEach((run, index) => {
    const tick = run.open.progressTickMs / 1000;
    out.push(polyline([[o.x(0), o.y(0)], ...run.open.progress.map((open, at): [number, number] => [o.x((at + 1) * tick), o.y(open / 1000)])], COLORS[index % COLORS.length]));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('-o');
  if (at === -1 || at + 1 >= args.length || args.length < 3) {
    console.error('usage: chart.ts <result.json>… -o <chart.svg>');
    process.exit(2);
  }
  const output = args[at + 1];
  const inputs = args.filter((_, index) => index !== at && index !== at + 1).map((input) => input.split('='));
  const runs = inputs.map(([file]) => JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!) as LoadResult);
  writeFileSync(output, renderChart(runs, inputs.map(([, label]) => label)));
  console.log(`wrote ${output} from ${inputs.length} runs`);
}

if (require.main === module) main();
