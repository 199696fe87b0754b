import type { Baselines, TrainingSettings } from '../contracts/events.js';
import type { MetricSummary, ModelSummary } from '../contracts/models.js';
import type { ReportSection } from '../contracts/reports.js';
import type { SimulatedEpisodeWire, SimulationResult } from '../contracts/simulation.js';
import type { ScenarioConfig } from '../hrl/index.js';
import { downsample, rollingMean, type ChartSpec } from './charts.js';
import { formatNumber, formatPercent, money, type Money } from './format.js';
import { summariseMonths, type MonthlySummary } from './monthly-series.js';
import { outcomes, type Outcomes } from './outcomes.js';
import { advice, glossary, type GlossaryEntry } from './reading.js';

/** Everything a report is made from, gathered before rendering so renderers do no I/O. */
export interface ReportData {
  report_id: string;
  title: string;
  generated_at: string;
  sections: ReportSection[];
  simulation: SimulationResult;
  scenario: { name: string; description: string; config: ScenarioConfig };
  /** ISO 4217 code of every amount (the scenario's currency; EUR when unknown). */
  currency: string;
  /** The settings the model's run trained with (null for runs before they were recorded, imported models). */
  training_settings: TrainingSettings | null;
  /** The held-out comparison stored with the run or model (null when there is none: older runs, imports, stopped runs). */
  baselines: Baselines | null;
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
  money: Money;
  outcomes: Outcomes;
  advice: string[];
  glossary: GlossaryEntry[];
  baselines: Baselines | null;
  training_settings: TrainingSettings | null;
  /** True when the training reward was still rising measurably when training ended. */
  stillImproving: boolean;
}

export const COLORS = { cash: '#1f77b4', portfolio: '#2ca02c', wealth: '#9467bd', invested: '#ff7f0e', invest: '#2ca02c', save: '#1f77b4', consume: '#d62728', reward: '#aaaaaa', rolling: '#d62728', running: '#d62728', low: '#d62728', high: '#2ca02c' };

/** A monthly series as a chart line, bucket-averaged past MAX_CHART_POINTS. */
function line(name: string, color: string, values: readonly number[]): ChartSpec['series'][number] {
  const { x, y } = downsample(values, MAX_CHART_POINTS);
  return { name, color, values: y, x };
}

/** P10, median and P90 of one monthly series as a chart, the P10–P90 range shaded. */
function bandChart(title: string, currency: Money, bands: MonthlySummary['bands']['wealth'], color: string): ChartSpec {
  const lo = downsample(bands.p10, MAX_CHART_POINTS);
  const hi = downsample(bands.p90, MAX_CHART_POINTS);
  return {
    title,
    xLabel: 'month',
    yLabel: `${currency.code} (${currency.symbol})`,
    areas: [{ color, lower: lo.y, upper: hi.y, x: lo.x }],
    series: [
      line('P90: 1 in 10 futures ends above', COLORS.high, bands.p90),
      line('median', color, bands.p50),
      line('P10: 1 in 10 futures ends below', COLORS.low, bands.p10)
    ]
  };
}

/**
 * The report's charts. Money charts are percentile bands over every episode (an ended one
 * keeps its final values), never means over the survivors; the share of episodes still
 * running shows when futures ran out of cash.
 */
export function reportCharts(monthly: MonthlySummary, rewardCurve: ArrayLike<number>, o: Outcomes, currency: Money): ChartSpec[] {
  const m = monthly.mean;
  const charts: ChartSpec[] = [
    bandChart('Total wealth (cash + portfolio) over all simulated futures: P10, median, P90', currency, monthly.bands.wealth, COLORS.wealth),
    bandChart('Cash over all simulated futures: P10, median, P90', currency, monthly.bands.cash, COLORS.cash)
  ];
  if (o.broke > 0) {
    charts.push({
      title: 'Simulated futures that still have cash (% of all)',
      xLabel: 'month',
      yLabel: '%',
      yRange: [0, 100],
      series: [line('still running (has not run out of cash)', COLORS.running, o.runningPct)]
    });
  }
  charts.push({
    title: 'Allocation chosen each month (mean over the futures still running, %)',
    xLabel: 'month',
    yLabel: '%',
    yRange: [0, 100],
    series: [line('invest', COLORS.invest, m.invest), line('save', COLORS.save, m.save), line('consume', COLORS.consume, m.consume)]
  });
  const curve = Array.from(rewardCurve);
  if (curve.length > 0) {
    const raw = downsample(curve, 400);
    const rolling = downsample(rollingMean(curve, Math.min(50, Math.max(1, Math.round(curve.length / 20)))), 400);
    charts.push({
      title: 'Training reward curve',
      xLabel: 'episode',
      yLabel: 'episode reward (points)',
      series: [
        { name: 'episode reward', color: COLORS.reward, values: raw.y, x: raw.x },
        { name: 'rolling mean', color: COLORS.rolling, values: rolling.y, x: rolling.x }
      ]
    });
  }
  return charts;
}

/**
 * Whether the reward was still rising when training ended: the mean of the last tenth of
 * the curve above the tenth before it by more than two standard errors and 1 % of its size.
 */
export function stillImproving(curve: ArrayLike<number>): boolean {
  const values = Array.from(curve).filter(Number.isFinite);
  const k = Math.floor(values.length / 10);
  if (k < 3) return false;
  const last = values.slice(-k);
  const before = values.slice(-2 * k, -k);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[], mu: number) => xs.reduce((a, b) => a + (b - mu) ** 2, 0) / (xs.length - 1);
  const a = mean(last);
  const b = mean(before);
  const se = Math.sqrt(variance(last, a) / k + variance(before, b) / k);
  return a - b > 2 * se && a - b > 0.01 * Math.max(Math.abs(b), 1);
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
  const horizon = data.scenario.config.environment.max_months;
  const monthly = summariseMonths(episodes, horizon);
  const currency = money(data.currency);
  const o = outcomes(episodes, monthly, horizon);
  const model = data.model && { summary: data.model.summary, final_metrics: data.model.final_metrics, training_history: data.model.training_history };
  const curve = data.model?.reward_curve ?? [];
  const improving = stillImproving(curve);
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
    charts: reportCharts(monthly, curve, o, currency),
    allocationByYear: allocationByYear(monthly),
    strategy: strategyText(simulation, data.scenario.config, o, currency),
    money: currency,
    outcomes: o,
    advice: advice({
      env: data.scenario.config.environment,
      outcomes: o,
      allocation: { invest: simulation.avg_invest_pct, save: simulation.avg_save_pct, consume: simulation.avg_consume_pct },
      baselines: data.baselines,
      stillImproving: improving,
      money: currency
    }),
    glossary: glossary(data.scenario.config.reward, currency),
    baselines: data.baselines,
    training_settings: data.training_settings,
    stillImproving: improving
  };
}

/** Plain-language reading of the policy's allocation, shared by both formats. */
export function strategyText(s: Omit<SimulationResult, 'episodes'>, config: ScenarioConfig, o: Outcomes, m: Money): string[] {
  const env = config.environment;
  const lines = [
    `On average the plan invests ${formatPercent(s.avg_invest_pct)} of the money left after fixed expenses each month, saves ${formatPercent(s.avg_save_pct)} as cash and consumes ${formatPercent(s.avg_consume_pct)}.`,
    `Averaged over all ${o.episodes} simulated futures (an ended one with what it ended with), they last ${formatNumber(s.duration_mean, 1)} months and end with ${m.format(s.final_cash_mean)} in cash and a portfolio worth ${m.format(s.final_portfolio_mean)} (${m.format(s.final_invested_mean)} put in, gains ${m.format(s.investment_gains_mean)}).`
  ];
  if (o.broke > 0) {
    lines.push(`${o.broke} of ${o.episodes} futures (${formatPercent(100 * o.brokeShare, 0)}) ran out of cash before the ${env.max_months}-month horizon: for this budget the plan spends or invests too much of what it has.`);
  } else {
    lines.push(`Every simulated future reached the ${env.max_months}-month horizon without running out of cash.`);
  }
  const last = o.bandsAt[o.bandsAt.length - 1];
  if (last) {
    lines.push(
      last.cash.p10 >= env.safety_threshold
        ? `At the end, at least 9 in 10 futures hold cash above the safety threshold of ${m.format(env.safety_threshold)}.`
        : `At the end, the median cash is ${m.format(last.cash.p50)} and 1 in 10 futures holds less than ${m.format(last.cash.p10)}, against a safety threshold of ${m.format(env.safety_threshold)}.`
    );
  }
  return lines;
}
