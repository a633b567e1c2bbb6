// bench/results/latest.md: the targets, then one table per scenario, the bufferutil
// comparison and whatever went wrong, written from the summaries.
import { FIGURES, FIGURES_OF_KIND, type FigureKey } from './figures';
import type { MachineInfo } from './machine';
import { LATER_WARMUP_MS, type RunSettings } from './runner';
import { type RatioSummary, type ScenarioSummary, ratioOf } from './summary';
import { type TargetResult, describeBound } from './targets';
import type { ThroughputScenario } from './scenarios';

export interface BenchReport {
  startedAt: string;
  seconds: number;
  command: string;
  machine: MachineInfo;
  settings: RunSettings;
  summaries: ScenarioSummary[];
  targets: TargetResult[];
}

export function formatRatio(ratio: RatioSummary | undefined, spread = true): string {
  if (ratio === undefined || !Number.isFinite(ratio.median)) return '–';
  const median = `${ratio.median.toFixed(2)}×`;
  if (!spread || ratio.rounds < 2) return median;
  return `${median} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
}

const STATUS: Record<TargetResult['status'], string> = {
  met: '✅ met',
  missed: '❌ missed',
  'not available': '⏸ not available yet',
  'not run': '– not run',
};

function cores(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(2);
}

function targetsTable(report: BenchReport): string[] {
  const lines = ['| target | needed | ratio: median (min–max over rounds) | status |', '|---|---|---|---|'];
  for (const result of report.targets) {
    const ratio = result.ratio === undefined ? (result.reason ?? '–') : formatRatio(result.ratio);
    lines.push(`| ${result.target.text} | ${describeBound(result.target)} | ${ratio} | ${STATUS[result.status]} |`);
  }
  return lines;
}

function scenarioTable(summary: ScenarioSummary): string[] {
  const { scenario } = summary;
  const baseline = scenario.baseline;
  const baselineLabel = summary.servers.find((server) => server.id === baseline)?.label ?? baseline;
  const keys = FIGURES_OF_KIND[scenario.kind];
  const also = scenario.alsoAgainst ?? [];
  const header = ['server'];
  for (const [i, key] of keys.entries()) {
    header.push(FIGURES[key].label, `× ${i === 0 ? baselineLabel : 'baseline'}`);
    if (i === 0) for (const id of also) header.push(`× ${summary.servers.find((server) => server.id === id)?.label ?? id}`);
  }
  const usage = ['serverCpu', 'loadCpu', 'otherCpu'] as const;
  const usageLabels = { serverCpu: 'server CPU', loadCpu: 'load-gen CPU', otherCpu: 'others CPU' };
  for (const key of usage) header.push(usageLabels[key]);
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const server of summary.servers) {
    if (server.skipped !== undefined) continue;
    const cells = [server.id === baseline ? `**${server.label}**` : server.label];
    for (const [i, key] of keys.entries()) {
      const figure = server.figures[key];
      cells.push(figure === undefined ? '–' : FIGURES[key].format(figure.median));
      cells.push(server.id === baseline ? '1' : formatRatio(figure?.against[baseline]));
      if (i === 0) for (const id of also) cells.push(server.id === id ? '1' : formatRatio(figure?.against[id]));
    }
    for (const key of usage) cells.push(cores(server.usage[key]));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const skipped = summary.servers.filter((server) => server.skipped !== undefined);
  if (skipped.length > 0) {
    lines.push('');
    for (const server of skipped) lines.push(`- ${server.label}: ${server.skipped}`);
  }
  return lines;
}

function bufferutilTable(summaries: readonly ScenarioSummary[]): string[] {
  const rows: string[] = [];
  for (const summary of summaries) {
    const ids = summary.servers.map((server) => server.id);
    if (!ids.includes('duet-echo-bufferutil') && !ids.includes('raw-ws-string-bufferutil')) continue;
    const figure: FigureKey = 'messagesPerSecond';
    rows.push(
      `| ${summary.scenario.title} | ${formatRatio(ratioOf(summary, 'raw-ws-string-bufferutil', 'raw-ws-string', figure))} | ` +
        `${formatRatio(ratioOf(summary, 'duet-echo-bufferutil', 'duet-echo', figure))} | ` +
        `${formatRatio(ratioOf(summary, 'duet-echo-bufferutil', 'raw-ws-string-bufferutil', figure))} |`,
    );
  }
  if (rows.length === 0) return [];
  const loaded = summaries
    .flatMap((summary) => summary.servers)
    .filter((server) => server.id.endsWith('-bufferutil') && server.skipped === undefined);
  const notLoaded = loaded.filter((server) => server.bufferutil === false);
  return [
    '## bufferutil',
    '',
    'msgs/s with the native `bufferutil` loaded by ws, divided by the same server without it (`WS_NO_BUFFER_UTIL=1`), round by round:',
    '',
    '| scenario | raw ws (string echo): with ÷ without | Duet echo: with ÷ without | Duet ÷ raw ws, both with bufferutil |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    notLoaded.length === 0
      ? 'Each "+ bufferutil" server reported that ws had loaded `bufferutil`; every other server ran with `WS_NO_BUFFER_UTIL=1`.'
      : `⚠ ws did not load bufferutil in: ${[...new Set(notLoaded.map((server) => server.label))].join(', ')}.`,
    '',
  ];
}

function problems(summaries: readonly ScenarioSummary[]): string[] {
  const lines: string[] = [];
  for (const summary of summaries) {
    for (const server of summary.servers) {
      for (const problem of server.problems) lines.push(`- ${summary.scenario.title}, ${server.label}: ${problem}`);
    }
  }
  return lines.length === 0 ? ['None: every connection opened, every reply matched, nothing was left unanswered.'] : lines;
}

/** Scenarios measured for longer than the rest, as a parenthesis for the settings line. */
function longerTurns(report: BenchReport): string {
  const longer = report.summaries
    .map((summary) => summary.scenario)
    .filter((scenario) => scenario.kind === 'throughput' && (scenario.measureFactor ?? 1) !== 1)
    .map((scenario) => `${scenario.title}: ${(report.settings.measureMs * (scenario as ThroughputScenario).measureFactor!) / 1000} s`);
  return longer.length === 0 ? '' : ` (${longer.join('; ')}, whose rate swings more from one second to the next)`;
}

export function renderMarkdown(report: BenchReport, chartFile: string | undefined): string {
  const { machine, settings } = report;
  const versions = Object.entries(machine.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const lines = [
    '# Duet benchmark: latest results',
    '',
    `Written by \`${report.command}\` on ${report.startedAt} (${Math.round(report.seconds)} s). ` +
      'How it is measured, and how to read it: [docs/performance.md](../../docs/performance.md).',
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}.`,
    `- Commit ${machine.commit}; versions: ${versions}.`,
    `- ${settings.rounds} round${settings.rounds === 1 ? '' : 's'} (idle: at most 4, broadcast: at most 3); in each, the servers of a scenario take turns, ` +
      `the order rotating from round to round (A B C, B C A, C A B, …), each turn a warm-up (${settings.warmupMs / 1000} s in the first round, at most ${LATER_WARMUP_MS / 1000} s later, ` +
      `the servers being warm by then) and ${settings.measureMs / 1000} s measured${longerTurns(report)}. ` +
      (settings.pin === undefined
        ? 'Processes not pinned.'
        : `Servers pinned to processor ${settings.pin.server}, the load generator to processor ${settings.pin.load}.`),
    '- A figure is the median over the rounds; a ratio (×) is the median of the ratios taken within each round, ' +
      'with the lowest and highest in brackets. For msgs/s and handshakes/s higher is better, for latency, time and memory lower.',
    '- CPU columns are in cores (1.00 = one core busy) over the measured time: the server, the load generator, and everything else ' +
      '(the machine less those two). The machine is shared: a turn during which others used more than 0.25 cores was measured once more, ' +
      'and the quieter of the two kept.',
    '',
    '## Targets',
    '',
    ...targetsTable(report),
    '',
  ];
  if (chartFile !== undefined) lines.push(`![Ratios to raw ws](${chartFile})`, '');
  for (const summary of report.summaries) {
    lines.push(`## ${summary.scenario.title}`, '', ...scenarioTable(summary), '');
  }
  lines.push(...bufferutilTable(report.summaries));
  lines.push('## Problems seen', '', ...problems(report.summaries), '');
  return lines.join('\n');
}

/** A few lines for the terminal: the targets. */
export function renderTargetsText(targets: readonly TargetResult[]): string {
  return targets
    .map((result) => {
      const ratio = result.ratio === undefined ? (result.reason ?? '') : formatRatio(result.ratio);
      return `${STATUS[result.status].padEnd(22)} ${result.target.text} (${describeBound(result.target)}): ${ratio}`;
    })
    .join('\n');
}
