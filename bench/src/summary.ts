// From rounds to what the report shows: the median of each figure over the rounds, and for
// each pair of servers the median of their ratios taken round by round (a round's servers ran
// minutes apart at most, so a ratio within a round is what drift disturbs least).
import { FIGURES_OF_KIND, type FigureKey, type UsageKey } from './figures';
import type { ScenarioRun } from './runner';
import type { Scenario } from './scenarios';

export interface RatioSummary {
  median: number;
  min: number;
  max: number;
  /** Rounds in which both servers produced the figure. */
  rounds: number;
}

export interface FigureSummary {
  median: number;
  /** Keyed by the id of the server it is compared with. */
  against: Record<string, RatioSummary>;
}

export interface ServerSummary {
  id: string;
  label: string;
  skipped?: string;
  bufferutil?: boolean;
  rounds: number;
  figures: Partial<Record<FigureKey, FigureSummary>>;
  usage: Partial<Record<UsageKey, number>>;
  problems: string[];
}

export interface ScenarioSummary {
  scenario: Scenario;
  servers: ServerSummary[];
}

export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

export function summarize(run: ScenarioRun): ScenarioSummary {
  const figureKeys = FIGURES_OF_KIND[run.scenario.kind];
  const servers = run.servers.map((server): ServerSummary => {
    const figures: Partial<Record<FigureKey, FigureSummary>> = {};
    for (const key of figureKeys) {
      const values = server.rounds.map((round) => round.figures[key] ?? Number.NaN);
      if (!values.some(Number.isFinite)) continue;
      const against: Record<string, RatioSummary> = {};
      for (const other of run.servers) {
        if (other.id === server.id) continue;
        const ratios: number[] = [];
        for (const round of server.rounds) {
          const mine = round.figures[key];
          const theirs = other.rounds.find((candidate) => candidate.round === round.round)?.figures[key];
          if (mine !== undefined && theirs !== undefined && Number.isFinite(mine) && theirs > 0) ratios.push(mine / theirs);
        }
        const finite = ratios.filter(Number.isFinite);
        if (finite.length > 0) {
          against[other.id] = { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), rounds: finite.length };
        }
      }
      figures[key] = { median: median(values), against };
    }
    const usage: Partial<Record<UsageKey, number>> = {};
    for (const key of ['serverCpu', 'loadCpu', 'machineCpu', 'otherCpu'] as const) {
      const value = median(server.rounds.map((round) => round.usage[key] ?? Number.NaN));
      if (Number.isFinite(value)) usage[key] = value;
    }
    return {
      id: server.id,
      label: server.label,
      skipped: server.skipped,
      bufferutil: server.bufferutil,
      rounds: server.rounds.length,
      figures,
      usage,
      problems: [...new Set(server.rounds.flatMap((round) => round.problems))],
    };
  });
  return { scenario: run.scenario, servers };
}

/** The ratio of `server` to `against` for `figure` in a summary, if both ran. */
export function ratioOf(
  summary: ScenarioSummary,
  server: string,
  against: string,
  figure: FigureKey,
): RatioSummary | undefined {
  return summary.servers.find((candidate) => candidate.id === server)?.figures[figure]?.against[against];
}
