// The rows of the report's tables, as formatted strings, shared by the HTML and PDF
// renderers so both show the same labels, units and figures.
import type { TrainingSettings } from '../contracts/events.js';
import type { EnvironmentConfig, TrainingConfig } from '../hrl/index.js';
import { formatNumber, formatPercent, type Money } from './format.js';
import { wentBroke, type Outcomes } from './outcomes.js';
import type { EpisodeRow, PreparedReport } from './report-data.js';

export type Cell = string;

/** How the bands treat futures that ran out of cash; printed wherever the bands are. */
export const BANDS_NOTE =
  'The figures cover every simulated future. A future that ran out of cash stops there and counts from then on with the values it ended with (its cash below zero stays as it was), so the spread never shows only the futures that survived.';

const MONEY_FIELDS = new Set(['income', 'fixed_expenses', 'variable_expense_mean', 'variable_expense_std', 'safety_threshold', 'initial_cash']);
const ENV_LABELS: Record<string, string> = {
  income: 'income (monthly, net)',
  fixed_expenses: 'fixed expenses (monthly)',
  variable_expense_mean: 'variable expenses (monthly, expected)',
  variable_expense_std: 'variable expenses (monthly, standard deviation)',
  inflation: 'inflation (yearly)',
  safety_threshold: 'safety threshold (cash buffer)',
  max_months: 'horizon (months)',
  initial_cash: 'cash at the start',
  risk_tolerance: 'risk tolerance (0–1)',
  investment_return_mean: 'investment return (monthly, expected)',
  investment_return_std: 'investment return (monthly, standard deviation)',
  investment_return_type: 'investment return type'
};
const RATE_FIELDS = new Set(['inflation', 'investment_return_mean', 'investment_return_std']);

export function environmentRows(env: EnvironmentConfig, money: Money): Cell[][] {
  return Object.entries(env).map(([k, v]) => [
    ENV_LABELS[k] ?? k,
    typeof v !== 'number' ? String(v) : MONEY_FIELDS.has(k) ? money.format(v) : RATE_FIELDS.has(k) ? formatPercent(100 * v, 2) : formatNumber(v)
  ]);
}

export function trainingConfigRows(t: TrainingConfig): Cell[][] {
  return Object.entries(t).map(([k, v]) => [k === 'num_episodes' ? 'num_episodes (default; see Training for the episodes trained)' : k, typeof v === 'number' ? formatNumber(v, 6) : String(v)]);
}

export function settingRows(s: TrainingSettings): Cell[][] {
  return Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? formatNumber(v, 6) : v ? 'yes' : 'no']);
}

const FINAL_MONEY = new Set(['avg_cash', 'avg_invested', 'avg_portfolio', 'eval_total_wealth_mean']);
const FINAL_LABELS: Record<string, string> = {
  avg_reward: 'reward, last 10 training futures (mean)',
  avg_duration: 'months lasted, last 10 training futures',
  avg_cash: 'final cash, last 10 training futures',
  avg_invested: 'invested, last 10 training futures',
  avg_portfolio: 'portfolio, last 10 training futures',
  stability: 'stability (share of months with cash above zero)',
  goal_adherence: 'goal adherence (lower: follows its goals)',
  max_reward: 'best training reward',
  final_reward: 'reward of the last training future',
  eval_episodes: 'evaluation futures after training',
  eval_reward_mean: 'evaluation reward (mean)',
  eval_total_wealth_mean: 'evaluation total wealth (mean)'
};

/** Final metrics with plain labels; the baselines have a table of their own. */
export function finalMetricRows(metrics: Record<string, unknown>, money: Money): Cell[][] {
  return Object.entries(metrics)
    .filter(([k, v]) => k !== 'baselines' && (v === null || typeof v !== 'object'))
    .map(([k, v]) => [FINAL_LABELS[k] ?? k, typeof v === 'number' ? (FINAL_MONEY.has(k) ? money.format(v) : formatNumber(v, k === 'eval_episodes' ? 0 : 2)) : v === null ? '–' : String(v)]);
}

/** "Model X trained N episodes …": the episodes actually trained, not the scenario's default. */
export function trainedText(d: PreparedReport): string {
  const m = d.model!;
  const s = d.training_settings;
  const how = !s
    ? ''
    : s.episodes_explicit
      ? ' (the count asked for with the run)'
      : s.auto
        ? ' (the budget training.auto chose for this horizon)'
        : " (the scenario's training.num_episodes)";
  const fallback = m.summary.episodes !== d.scenario.config.training.num_episodes ? ` The scenario's default of ${formatNumber(d.scenario.config.training.num_episodes, 0)} episodes was not what this model trained.` : '';
  return `Model ${m.summary.name} trained ${formatNumber(m.summary.episodes, 0)} episodes${how} on ${m.summary.scenario_name}, saved ${m.summary.trained_at}${m.summary.run_id ? `, run ${m.summary.run_id}` : ''}.${fallback}`;
}

export const BAND_HEADERS = ['month', 'wealth P10', 'wealth median', 'wealth P90', 'cash P10', 'cash median', 'cash P90'];

export function bandRows(o: Outcomes, money: Money): Cell[][] {
  return o.bandsAt.map((b) => [
    String(b.month),
    money.format(b.wealth.p10),
    money.format(b.wealth.p50),
    money.format(b.wealth.p90),
    money.format(b.cash.p10),
    money.format(b.cash.p50),
    money.format(b.cash.p90)
  ]);
}

export const episodeHeaders = ['future', 'months', 'final cash', 'invested', 'portfolio', 'total wealth', 'gains'];

export function episodeRow(x: EpisodeRow, horizon: number, money: Money): Cell[] {
  return [
    String(x.episode_id),
    wentBroke(x, horizon) ? `${x.duration} (ran out)` : String(x.duration),
    money.format(x.final_cash),
    money.format(x.final_invested),
    money.format(x.final_portfolio_value),
    money.format(x.total_wealth),
    money.format(x.investment_gains)
  ];
}

/** Means and standard deviations of the simulation's final figures. */
export function averageRows(s: PreparedReport['simulation'], m: Money): Cell[][] {
  return [
    ['months lasted', formatNumber(s.duration_mean, 1), formatNumber(s.duration_std, 1)],
    ['final cash', m.format(s.final_cash_mean), m.format(s.final_cash_std)],
    ['invested', m.format(s.final_invested_mean), m.format(s.final_invested_std)],
    ['portfolio value', m.format(s.final_portfolio_mean), m.format(s.final_portfolio_std)],
    ['total wealth', m.format(s.total_wealth_mean), m.format(s.total_wealth_std)],
    ['investment gains', m.format(s.investment_gains_mean), m.format(s.investment_gains_std)],
    ['episode reward (points)', formatNumber(s.episode_reward_mean), formatNumber(s.episode_reward_std)]
  ];
}
