import type { MetricSummary, ModelSummary } from '../contracts/models.js';
import type { ReportSection } from '../contracts/reports.js';
import type { SimulatedEpisodeWire, SimulationResult } from '../contracts/simulation.js';
import type { ScenarioConfig } from '../hrl/index.js';
import { downsample, rollingMean, type ChartSpec } from './charts.js';
import { summariseMonths, type MonthlySummary } from './monthly-series.js';

/** Everything a report is made from, gathered before rendering so renderers do no I/O. */
export interface ReportData {
  report_id: string;
  title: string;
  generated_at: string;
  sections: ReportSection[];
  simulation: SimulationResult;
  scenario: { name: string; description: string; config: ScenarioConfig };
  /** null when the model was deleted after the simulation. */
  model: {
    summary: ModelSummary;
    final_metrics: Record<string, unknown> | null;
    training_history: Record<string, MetricSummary>;
    /** episode_reward per training episode (empty without a stored history). */
    reward_curve: ArrayLike<number>;
  } | null;
}

/** Episodes listed in the results table; the aggregates cover all of them. */
export const MAX_EPISODE_ROWS = 50;
/** Points per chart line: longer series are bucket means (the shape stays, the file stays small). */
export const MAX_CHART_POINTS = 600;

export type EpisodeRow = Omit<SimulatedEpisodeWire, 'months' | 'cash_history' | 'invested_history' | 'portfolio_history' | 'actions'>;

/** What both renderers draw: every series computed once, from one pass over the episodes. */
export interface PreparedReport {
  report_id: string;
  title: string;
  generated_at: string;
  sections: ReportSection[];
  simulation: Omit<SimulationResult, 'episodes'>;
  scenario: ReportData['scenario'];
  model: Omit<NonNullable<ReportData['model']>, 'reward_curve'> | null;
  /** The first MAX_EPISODE_ROWS episodes' figures, for the results table. */
  episodeRows: EpisodeRow[];
  episodeCount: number;
  monthly: MonthlySummary;
  charts: ChartSpec[];
  allocationByYear: Array<{ year: number; invest: number; save: number; consume: number }>;
  strategy: string[];
}

export const COLORS = { cash: '#1f77b4', portfolio: '#2ca02c', wealth: '#9467bd', invested: '#ff7f0e', invest: '#2ca02c', save: '#1f77b4', consume: '#d62728', reward: '#aaaaaa', rolling: '#d62728' };

/** A monthly series as a chart line, bucket-averaged past MAX_CHART_POINTS. */
function line(name: string, color: string, values: readonly number[]): ChartSpec['series'][number] {
  const { x, y } = downsample(values, MAX_CHART_POINTS);
  return { name, color, values: y, x };
}

/** The report's charts: wealth over months, allocation over time, and the training reward curve when there is one. */
export function reportCharts(monthly: MonthlySummary, rewardCurve: ArrayLike<number>): ChartSpec[] {
  const m = monthly.mean;
  const charts: ChartSpec[] = [
    {
      title: 'Wealth, cash and portfolio over time (mean over episodes)',
      xLabel: 'month',
      yLabel: 'amount',
      series: [
        line('total wealth', COLORS.wealth, m.wealth),
        line('cash', COLORS.cash, m.cash),
        line('portfolio value', COLORS.portfolio, m.portfolio),
        line('invested (contributions)', COLORS.invested, m.invested)
      ]
    },
    {
      title: 'Allocation over time (mean share of available money, %)',
      xLabel: 'month',
      yLabel: '%',
      yRange: [0, 100],
      series: [line('invest', COLORS.invest, m.invest), line('save', COLORS.save, m.save), line('consume', COLORS.consume, m.consume)]
    }
  ];
  const curve = Array.from(rewardCurve);
  if (curve.length > 0) {
    const raw = downsample(curve, 400);
    const rolling = downsample(rollingMean(curve, Math.min(50, Math.max(1, Math.round(curve.length / 20)))), 400);
    charts.push({
      title: 'Training reward curve',
      xLabel: 'episode',
      yLabel: 'episode reward',
      series: [
        { name: 'episode reward', color: COLORS.reward, values: raw.y, x: raw.x },
        { name: 'rolling mean', color: COLORS.rolling, values: rolling.y, x: rolling.x }
      ]
    });
  }
  return charts;
}

/** Mean allocation per simulated year (of the monthly means), for the strategy section. */
export function allocationByYear(monthly: MonthlySummary): PreparedReport['allocationByYear'] {
  const { invest, save, consume } = monthly.mean;
  const rows: PreparedReport['allocationByYear'] = [];
  const mean = (xs: number[], start: number) => {
    let s = 0;
    let n = 0;
    for (let i = start; i < Math.min(xs.length, start + 12); i++) {
      if (Number.isFinite(xs[i])) {
        s += xs[i]!;
        n++;
      }
    }
    return n > 0 ? s / n : NaN;
  };
  for (let start = 0; start < monthly.months; start += 12) {
    rows.push({ year: start / 12 + 1, invest: mean(invest, start), save: mean(save, start), consume: mean(consume, start) });
  }
  return rows;
}

/** Computes everything the renderers draw, once (in the report worker, off the event loop). */
export function prepareReport(data: ReportData): PreparedReport {
  const { episodes, ...simulation } = data.simulation;
  const monthly = summariseMonths(episodes);
  const model = data.model && { summary: data.model.summary, final_metrics: data.model.final_metrics, training_history: data.model.training_history };
  return {
    report_id: data.report_id,
    title: data.title,
    generated_at: data.generated_at,
    sections: data.sections,
    simulation,
    scenario: data.scenario,
    model,
    episodeRows: episodes.slice(0, MAX_EPISODE_ROWS).map(({ months: _m, cash_history: _c, invested_history: _i, portfolio_history: _p, actions: _a, ...row }) => row),
    episodeCount: episodes.length,
    monthly,
    charts: reportCharts(monthly, data.model?.reward_curve ?? []),
    allocationByYear: allocationByYear(monthly),
    strategy: strategyText(simulation, data.scenario.config)
  };
}

export const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Plain-language reading of the policy's allocation, shared by both formats. */
export function strategyText(s: Omit<SimulationResult, 'episodes'>, config: ScenarioConfig): string[] {
  const env = config.environment;
  const lines = [
    `On average the policy invests ${fmt(s.avg_invest_pct, 1)}% of the money available each month, saves ${fmt(s.avg_save_pct, 1)}% as cash and consumes ${fmt(s.avg_consume_pct, 1)}%.`,
    `Over ${fmt(s.duration_mean, 1)} months on average, it ends with ${fmt(s.final_cash_mean)} in cash and a portfolio worth ${fmt(s.final_portfolio_mean)} (${fmt(s.final_invested_mean)} contributed, gains ${fmt(s.investment_gains_mean)}).`
  ];
  const maxMonths = env.max_months;
  if (s.duration_mean < maxMonths) {
    lines.push(`Some episodes ended before the ${maxMonths}-month horizon: cash ran out, so the strategy is too aggressive for this budget.`);
  } else {
    lines.push(`Every episode reached the ${maxMonths}-month horizon without running out of cash.`);
  }
  lines.push(
    s.final_cash_mean >= env.safety_threshold
      ? `The final cash stays above the safety threshold of ${fmt(env.safety_threshold)}.`
      : `The final cash is below the safety threshold of ${fmt(env.safety_threshold)}.`
  );
  return lines;
}
