// A line chart as a standalone SVG, drawn here so the soak needs no chart library: panels
// stacked over one time axis, each with its own y scale, grid, tick labels and legend.

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** [x, y] in data units. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartPanel {
  /** The y axis label, unit included. */
  readonly label: string;
  readonly series: readonly ChartSeries[];
}

export interface Chart {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly panels: readonly ChartPanel[];
}

const WIDTH = 960;
const PANEL_HEIGHT = 240;
const LEFT = 80;
const RIGHT = 200;
const TOP = 70;
const GAP = 60;
const BOTTOM = 50;

export function renderSvg(chart: Chart): string {
  const height = TOP + chart.panels.length * PANEL_HEIGHT + (chart.panels.length - 1) * GAP + BOTTOM;
  const xs = chart.panels.flatMap((panel) => panel.series.flatMap((series) => series.points.map(([x]) => x)));
  const xMax = roundUp(Math.max(1e-9, ...xs));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="28" font-size="18" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  if (chart.subtitle !== undefined) parts.push(`<text x="${LEFT}" y="50" fill="#444">${escape(chart.subtitle)}</text>`);
  chart.panels.forEach((panel, index) => {
    const top = TOP + index * (PANEL_HEIGHT + GAP);
    const ys = panel.series.flatMap((series) => series.points.map(([, y]) => y));
    const yMax = roundUp(Math.max(1e-9, ...ys) * 1.05);
    const toX = (x: number) => LEFT + (x / xMax) * plotWidth;
    const toY = (y: number) => top + PANEL_HEIGHT - (y / yMax) * PANEL_HEIGHT;
    for (const tick of ticks(yMax)) {
      parts.push(
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${fixed(toY(tick))}" y2="${fixed(toY(tick))}" stroke="#e4e4e4"/>`,
        `<text x="${LEFT - 8}" y="${fixed(toY(tick) + 4)}" text-anchor="end" fill="#444">${label(tick)}</text>`,
      );
    }
    for (const tick of ticks(xMax)) {
      parts.push(
        `<line x1="${fixed(toX(tick))}" x2="${fixed(toX(tick))}" y1="${top}" y2="${top + PANEL_HEIGHT}" stroke="#f0f0f0"/>`,
        `<text x="${fixed(toX(tick))}" y="${top + PANEL_HEIGHT + 16}" text-anchor="middle" fill="#444">${label(tick)}</text>`,
      );
    }
    parts.push(
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="none" stroke="#888"/>`,
      `<text transform="translate(${LEFT - 56} ${top + PANEL_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escape(panel.label)}</text>`,
    );
    panel.series.forEach((series, i) => {
      const path = series.points.map(([x, y], n) => `${n === 0 ? 'M' : 'L'}${fixed(toX(x))},${fixed(toY(y))}`).join(' ');
      if (path !== '') parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="1.6"/>`);
      const legendY = top + 14 + i * 20;
      parts.push(
        `<line x1="${LEFT + plotWidth + 16}" x2="${LEFT + plotWidth + 40}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${series.color}" stroke-width="3"/>`,
        `<text x="${LEFT + plotWidth + 46}" y="${legendY}">${escape(series.name)}</text>`,
      );
    });
  });
  parts.push(`<text x="${LEFT + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escape(chart.xLabel)}</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value * (1 - 1e-9)) return step * power;
  return 10 * power;
}

/** The axis end: `value` rounded up to a whole number of tick steps. */
function roundUp(value: number): number {
  const step = tickStep(value);
  return Math.ceil(value / step - 1e-9) * step;
}

function tickStep(max: number): number {
  return niceCeiling(max / 6);
}

/** Six or so round ticks from 0 to `max`. */
function ticks(max: number): number[] {
  const step = tickStep(max);
  const out: number[] = [];
  for (let tick = 0; tick <= max + step * 1e-9; tick += step) out.push(tick);
  return out;
}

function label(value: number): string {
  const rounded = Math.round(value * 1000) / 1000;
  return Number.isInteger(rounded) ? String(rounded) : String(Number(rounded.toFixed(2)));
}

function fixed(value: number): string {
  return value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
