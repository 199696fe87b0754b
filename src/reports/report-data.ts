import type { MetricSummary, ModelSummary } from '../contracts/models.js';
import type { ReportSection } from '../contracts/reports.js';
import type { SimulationResult } from '../contracts/simulation.js';
import type { ScenarioConfig } from '../hrl/index.js';
import { downsample, rollingMean, type ChartSpec } from './charts.js';

/** Everything a report shows, gathered before rendering so renderers do no I/O. */
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
    final_metrics: Record<string, number | null> | null;
    training_history: Record<string, MetricSummary>;
    /** episode_reward per training episode (empty without a stored history). */
    reward_curve: number[];
  } | null;
}

export const COLORS = { cash: '#1f77b4', portfolio: '#2ca02c', wealth: '#9467bd', invested: '#ff7f0e', invest: '#2ca02c', save: '#1f77b4', consume: '#d62728', reward: '#aaaaaa', rolling: '#d62728' };

/** Mean over the episodes that lasted at least m months, for every month m. */
export function monthlyMeans(episodes: SimulationResult['episodes'], pick: (e: SimulationResult['episodes'][number]) => readonly number[]): number[] {
  const out: number[] = [];
  const longest = Math.max(0, ...episodes.map((e) => pick(e).length));
  for (let m = 0; m < longest; m++) {
    let s = 0;
    let n = 0;
    for (const e of episodes) {
      const v = pick(e)[m];
      if (v !== undefined) {
        s += v;
        n++;
      }
    }
    out.push(n > 0 ? s / n : NaN);
  }
  return out;
}

export function allocationMeans(episodes: SimulationResult['episodes']): { invest: number[]; save: number[]; consume: number[] } {
  const part = (k: 0 | 1 | 2) => monthlyMeans(episodes, (e) => e.actions.map((a) => 100 * (a[k] ?? 0)));
  return { invest: part(0), save: part(1), consume: part(2) };
}

/** The report's charts: wealth over months, allocation over time, and the training reward curve when there is one. */
export function reportCharts(data: ReportData): ChartSpec[] {
  const eps = data.simulation.episodes;
  const cash = monthlyMeans(eps, (e) => e.cash_history);
  const portfolio = monthlyMeans(eps, (e) => e.portfolio_history);
  const invested = monthlyMeans(eps, (e) => e.invested_history);
  const wealth = cash.map((c, i) => c + (portfolio[i] ?? 0));
  const alloc = allocationMeans(eps);
  const charts: ChartSpec[] = [
    {
      title: 'Wealth, cash and portfolio over time (mean over episodes)',
      xLabel: 'month',
      yLabel: 'amount',
      series: [
        { name: 'total wealth', color: COLORS.wealth, values: wealth },
        { name: 'cash', color: COLORS.cash, values: cash },
        { name: 'portfolio value', color: COLORS.portfolio, values: portfolio },
        { name: 'invested (contributions)', color: COLORS.invested, values: invested }
      ]
    },
    {
      title: 'Allocation over time (mean share of available money, %)',
      xLabel: 'month',
      yLabel: '%',
      yRange: [0, 100],
      series: [
        { name: 'invest', color: COLORS.invest, values: alloc.invest },
        { name: 'save', color: COLORS.save, values: alloc.save },
        { name: 'consume', color: COLORS.consume, values: alloc.consume }
      ]
    }
  ];
  const curve = data.model?.reward_curve ?? [];
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

/** Mean allocation per simulated year, for the strategy section. */
export function allocationByYear(data: ReportData): Array<{ year: number; invest: number; save: number; consume: number }> {
  const alloc = allocationMeans(data.simulation.episodes);
  const rows: Array<{ year: number; invest: number; save: number; consume: number }> = [];
  for (let start = 0; start < alloc.invest.length; start += 12) {
    const mean = (xs: number[]) => {
      const part = xs.slice(start, start + 12).filter(Number.isFinite);
      return part.reduce((a, b) => a + b, 0) / Math.max(1, part.length);
    };
    rows.push({ year: start / 12 + 1, invest: mean(alloc.invest), save: mean(alloc.save), consume: mean(alloc.consume) });
  }
  return rows;
}

export const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Plain-language reading of the policy's allocation, shared by both formats. */
export function strategyText(data: ReportData): string[] {
  const s = data.simulation;
  const env = data.scenario.config.environment;
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
