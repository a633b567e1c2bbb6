// bench/results/ratios.svg: one bar per server and charted figure, its ratio to the scenario's
// raw ws baseline (the line at 1×), with the target drawn where one applies.
import { CHARTED, FIGURES } from './figures';
import { formatRatio } from './report';
import type { ScenarioSummary } from './summary';
import { TARGETS, type TargetResult } from './targets';

const WIDTH = 980;
const LABEL_WIDTH = 300;
const BAR_LEFT = LABEL_WIDTH + 10;
const BAR_RIGHT = WIDTH - 190;
const ROW = 24;
const HEADER = 28;

interface Row {
  kind: 'header' | 'bar';
  text: string;
  ratio?: number;
  spread?: string;
  family?: 'duet' | 'raw' | 'nest';
  target?: { threshold: number; status: TargetResult['status'] };
}

function familyOf(id: string): Row['family'] {
  if (id.startsWith('duet')) return 'duet';
  if (id.startsWith('nest')) return 'nest';
  return 'raw';
}

const COLORS = { duet: '#2f6fdf', raw: '#9a9a9a', nest: '#d9534f' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderChart(summaries: readonly ScenarioSummary[], targets: readonly TargetResult[]): string {
  const rows: Row[] = [];
  for (const summary of summaries) {
    const { scenario } = summary;
    const baselineLabel = summary.servers.find((server) => server.id === scenario.baseline)?.label ?? scenario.baseline;
    for (const key of CHARTED[scenario.kind]) {
      const bars: Row[] = [];
      for (const server of summary.servers) {
        if (server.id === scenario.baseline || server.skipped !== undefined) continue;
        const ratio = server.figures[key]?.against[scenario.baseline];
        if (ratio === undefined) continue;
        const target = TARGETS.find(
          (candidate) =>
            candidate.scenario === scenario.id &&
            candidate.server === server.id &&
            candidate.against === scenario.baseline &&
            candidate.figure === key,
        );
        const status = targets.find((result) => result.target === target)?.status ?? 'not run';
        bars.push({
          kind: 'bar',
          text: server.label,
          ratio: ratio.median,
          spread: formatRatio(ratio),
          family: familyOf(server.id),
          target: target === undefined ? undefined : { threshold: target.threshold, status },
        });
      }
      if (bars.length === 0) continue;
      const better = FIGURES[key].better === 'higher' ? 'higher is better' : 'lower is better';
      rows.push({ kind: 'header', text: `${scenario.title}: ${FIGURES[key].label} ÷ ${baselineLabel} (${better})` }, ...bars);
    }
  }
  const largest = Math.max(1.2, ...rows.map((row) => row.ratio ?? 0).filter(Number.isFinite));
  const maxRatio = Math.ceil(largest * 5) / 5;
  const x = (ratio: number) => BAR_LEFT + (Math.min(ratio, maxRatio) / maxRatio) * (BAR_RIGHT - BAR_LEFT);
  const height = 60 + rows.reduce((sum, row) => sum + (row.kind === 'header' ? HEADER : ROW), 0) + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">Duet, NestJS and variants of raw ws, as ratios to raw ws (median over rounds)</text>`,
    `<text x="${WIDTH / 2}" y="42" text-anchor="middle" fill="#555">bar: ratio to the scenario's raw ws server; black line: 1×; dashed red: the issue's target for Duet (✓ met, ✗ missed)</text>`,
  ];
  const top = 60;
  const bottom = top + rows.reduce((sum, row) => sum + (row.kind === 'header' ? HEADER : ROW), 0);
  // The grid first, so the bars draw over it: ticks every 0.2×.
  for (let tick = 0; tick <= maxRatio + 1e-9; tick += 0.2) {
    const tx = x(tick).toFixed(1);
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${bottom}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#555">${tick.toFixed(1)}×</text>`);
  }
  const markers: string[] = [];
  let y = top;
  for (const row of rows) {
    if (row.kind === 'header') {
      out.push(`<text x="10" y="${y + 19}" font-weight="bold">${escape(row.text)}</text>`);
      y += HEADER;
      continue;
    }
    const ratio = row.ratio ?? Number.NaN;
    out.push(`<text x="${LABEL_WIDTH}" y="${y + 16}" text-anchor="end">${escape(row.text)}</text>`);
    if (Number.isFinite(ratio)) {
      out.push(`<rect x="${BAR_LEFT}" y="${y + 4}" width="${(x(ratio) - BAR_LEFT).toFixed(1)}" height="${ROW - 8}" fill="${COLORS[row.family ?? 'raw']}"/>`);
    }
    let note = row.spread ?? '';
    if (row.target !== undefined) {
      const tx = x(row.target.threshold).toFixed(1);
      markers.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + ROW - 1}" stroke="#c00" stroke-width="2" stroke-dasharray="3,2"/>`);
      const mark = row.target.status === 'met' ? ' ✓' : row.target.status === 'missed' ? ' ✗' : '';
      note += `  target ${row.target.threshold.toFixed(2)}×${mark}`;
    }
    out.push(`<text x="${BAR_RIGHT + 8}" y="${y + 16}">${escape(note)}</text>`);
    y += ROW;
  }
  const one = x(1).toFixed(1);
  out.push(`<line x1="${one}" y1="${top}" x2="${one}" y2="${bottom}" stroke="#000" stroke-width="1.5"/>`);
  out.push(...markers, '</svg>', '');
  return out.join('\n');
}
