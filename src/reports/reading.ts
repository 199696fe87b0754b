// The report in plain words: what to change (derived from the figures, never generic), the
// learned plan against the stored baselines, and a glossary. Pure functions shared by both
// renderers; every amount goes through the scenario's currency.
import type { Baselines } from '../contracts/events.js';
import type { EnvironmentConfig, RewardConfig } from '../hrl/index.js';
import { formatNumber, formatPercent, type Money } from './format.js';
import type { Outcomes } from './outcomes.js';

export interface AdviceInput {
  env: EnvironmentConfig;
  outcomes: Outcomes;
  /** Mean allocation in % of the money left after fixed expenses. */
  allocation: { invest: number; save: number; consume: number };
  baselines: Baselines | null;
  /** True when the training reward was still rising measurably at the end of training. */
  stillImproving: boolean;
  money: Money;
}

/** A rule of thumb of the baseline family, in words. */
export function ruleInWords(rule: Baselines['best_rule'], env: EnvironmentConfig, money: Money): string {
  switch (rule.name) {
    case 'fifty_thirty_twenty':
      return '50/30/20: invest 20 %, save 30 %, consume 50 % of what is left after fixed expenses';
    case 'invest_above_expenses':
      return 'cover the expected variable expenses, invest the rest';
    case 'emergency_fund_first': {
      const k = rule.params.k;
      const target = typeof k === 'number' ? ` (${formatNumber(k)} × the safety threshold = ${money.format(k * env.safety_threshold)})` : '';
      return `emergency fund first: save everything beyond the expected expenses until cash reaches its target${target}, then invest it instead`;
    }
    case 'save_everything':
      return 'save everything left after fixed expenses (consume and invest nothing)';
    default: {
      const params = Object.entries(rule.params).map(([k, v]) => `${k} = ${formatNumber(v)}`);
      return params.length > 0 ? `${rule.name} (${params.join(', ')})` : rule.name;
    }
  }
}

/** "[invest, save, consume]" shares in words. */
export const splitInWords = (a: readonly number[]): string =>
  `invest ${formatPercent(100 * (a[0] ?? NaN), 0)}, save ${formatPercent(100 * (a[1] ?? NaN), 0)}, consume ${formatPercent(100 * (a[2] ?? NaN), 0)}`;

export type Verdict = 'better' | 'worse' | 'no measurable difference';

/** A paired difference learned − baseline, read through its 95 % interval. */
export const verdict = (ci: readonly [number, number] | readonly number[]): Verdict =>
  (ci[0] ?? NaN) > 0 ? 'better' : (ci[1] ?? NaN) < 0 ? 'worse' : 'no measurable difference';

export interface BaselineRow {
  plan: string;
  mean: number;
  /** learned − this plan; null for the learned plan's own row. */
  diff: { mean: number; ci95: [number, number]; verdict: Verdict } | null;
}

/** The comparison table ("your plan vs the best fixed split vs the best rule"), from the stored figures only. */
export function baselineRows(b: Baselines, env: EnvironmentConfig, money: Money): BaselineRow[] {
  return [
    { plan: 'Your learned plan', mean: b.learned_mean, diff: null },
    {
      plan: `Best fixed split: ${splitInWords(b.best_constant.allocation)}`,
      mean: b.best_constant.mean,
      diff: { ...b.diff_constant, verdict: verdict(b.diff_constant.ci95) }
    },
    { plan: `Best rule of thumb: ${ruleInWords(b.best_rule, env, money)}`, mean: b.best_rule.mean, diff: { ...b.diff_rule, verdict: verdict(b.diff_rule.ci95) } }
  ];
}

export const BASELINES_ABSENT =
  'This model has no stored comparison with the best fixed split and the best rule of thumb: models from runs before baselines were computed, imported models and stopped runs have none. Train the scenario again to get one.';

export const baselinesIntro = (b: Baselines): string =>
  `Scores are the mean episode reward (see the glossary) over ${b.episodes} simulated futures that training never saw; each difference is your plan minus the other plan on the same futures, with its 95 % interval. An interval entirely above zero means your plan is measurably better, entirely below zero measurably worse.`;

const intervalText = (d: { mean: number; ci95: readonly number[] }) => `${formatNumber(d.mean)} points (95 % interval ${formatNumber(d.ci95[0])} to ${formatNumber(d.ci95[1])})`;

/** What to change, most urgent first, each item derived from this simulation's figures. */
export function advice(a: AdviceInput): string[] {
  const { env, outcomes: o, allocation, baselines, money } = a;
  const out: string[] = [];
  const budget = env.income - env.fixed_expenses;
  const needed = budget > 0 ? (100 * env.variable_expense_mean) / budget : Infinity;
  const neededHigh = budget > 0 ? (100 * (env.variable_expense_mean + env.variable_expense_std)) / budget : Infinity;

  if (budget <= 0) {
    out.push(
      `Fixed expenses (${money.format(env.fixed_expenses)} a month) take all of the income (${money.format(env.income)}): every month starts short, and no split of the money can prevent running out of cash. Cut fixed expenses or raise income by at least ${money.format(env.fixed_expenses - env.income + env.variable_expense_mean)} a month.`
    );
  } else if (env.variable_expense_mean >= budget) {
    out.push(
      `The expected variable expenses (${money.format(env.variable_expense_mean)} a month) use up everything left after fixed expenses (${money.format(budget)}): nothing can be saved on average, whatever the split. Cut expenses or raise income; a different allocation cannot fix this.`
    );
  }

  if (o.broke > 0 && o.brokeMonths) {
    const when = o.brokeMonths.first === o.brokeMonths.last ? `all in month ${o.brokeMonths.first}` : `the first in month ${o.brokeMonths.first}, half of them by month ${formatNumber(o.brokeMonths.median, 0)}`;
    out.push(`${o.broke} of ${o.episodes} simulated futures (${formatPercent(100 * o.brokeShare, 0)}) ran out of cash before month ${o.horizon}, ${when}. Fix this first: a plan that runs out of cash is not a plan.`);
    if (budget > 0 && Number.isFinite(needed) && allocation.consume < needed) {
      out.push(
        `The plan consumes ${formatPercent(allocation.consume)} of the ${money.format(budget)} left after fixed expenses, but the variable expenses need about ${formatPercent(needed, 0)} on average (${money.format(env.variable_expense_mean)}): the shortfall is taken from cash. Raise the consume share to at least ${formatPercent(Math.min(100, neededHigh), 0)} (the expected expenses plus one standard deviation, ${money.format(env.variable_expense_mean + env.variable_expense_std)}), taking it from investing (${formatPercent(allocation.invest)} now) first, then from saving (${formatPercent(allocation.save)} now).`
      );
    } else if (budget > 0) {
      out.push(
        `Consumption covers the expected expenses, so the cash buffer is what runs out: raise the save share (${formatPercent(allocation.save)} now) and invest less (${formatPercent(allocation.invest)} now) until cash reaches the safety threshold of ${money.format(env.safety_threshold)}${env.initial_cash < env.safety_threshold ? ` (the plan starts with ${money.format(env.initial_cash)})` : ''}.`
      );
    }
  } else {
    const last = o.bandsAt[o.bandsAt.length - 1];
    if (last && last.cash.p10 < env.safety_threshold) {
      out.push(
        `No simulated future ran out of cash, but in 1 of 10 the cash ends below the safety threshold of ${money.format(env.safety_threshold)} (P10 of final cash: ${money.format(last.cash.p10)}): save a little more (${formatPercent(allocation.save)} now) for a buffer that holds in bad years.`
      );
    } else if (
      last &&
      last.cash.p10 > 3 * env.safety_threshold &&
      allocation.invest < 50 &&
      env.investment_return_type !== 'none' &&
      env.investment_return_mean > 0
    ) {
      out.push(
        `Cash piles up well beyond the safety threshold (even the lowest tenth ends with ${money.format(last.cash.p10)}, over 3 × ${money.format(env.safety_threshold)}) while only ${formatPercent(allocation.invest)} is invested: investing more of the surplus would likely grow wealth further (expected return ${formatPercent(100 * env.investment_return_mean, 2)} a month), at the risk the returns' spread (${formatPercent(100 * env.investment_return_std, 2)} a month) implies.`
      );
    }
  }

  if (baselines) {
    const c = verdict(baselines.diff_constant.ci95);
    const r = verdict(baselines.diff_rule.ci95);
    if (r === 'worse') {
      out.push(
        `The best rule of thumb (${ruleInWords(baselines.best_rule, env, money)}) scored measurably higher than the learned plan, by ${intervalText({ mean: -baselines.diff_rule.mean, ci95: [-baselines.diff_rule.ci95[1], -baselines.diff_rule.ci95[0]] })}: follow that rule rather than this plan, or train longer and compare again.`
      );
    }
    if (c === 'worse') {
      out.push(
        `A fixed split (${splitInWords(baselines.best_constant.allocation)}) scored measurably higher than the learned plan, by ${intervalText({ mean: -baselines.diff_constant.mean, ci95: [-baselines.diff_constant.ci95[1], -baselines.diff_constant.ci95[0]] })}: that split is both simpler and better here.`
      );
    }
    if (c === 'better' && r === 'better') out.push('The learned plan beat both the best fixed split and the best rule of thumb measurably on futures it never trained on: it is worth following over either.');
    else if (r === 'no measurable difference' && c !== 'worse') {
      out.push(`The learned plan is not measurably better than the rule of thumb "${ruleInWords(baselines.best_rule, env, money)}": if that rule is easier to follow, it does as well.`);
    }
  }
  if (a.stillImproving) out.push('The training reward was still rising when training ended: training for more episodes may give a better plan.');
  if (out.length === 0) out.push('Nothing urgent: no simulated future ran out of cash and the cash stays above the safety threshold in at least 9 of 10 futures.');
  return out;
}

export interface GlossaryEntry {
  term: string;
  meaning: string;
}

/** Terms a planner may not know, with this scenario's weights where they apply. */
export function glossary(reward: RewardConfig, money: Money): GlossaryEntry[] {
  const per = `per ${money.format(1000)}`;
  return [
    { term: 'Episode', meaning: 'One simulated future of the scenario, month by month, with its own random expenses and investment returns.' },
    { term: 'Ran out of cash', meaning: 'The month-end cash fell below zero. The simulation of that future stops there; its figures afterwards are the ones it ended with.' },
    { term: 'P10 / median / P90', meaning: 'Of all simulated futures, one in ten ends below P10, half below the median (P50), and one in ten above P90.' },
    { term: 'Total wealth', meaning: 'Cash plus the market value of the investments (the portfolio).' },
    { term: 'Invested', meaning: 'The sum of the money put into investments; the portfolio value minus it is the investment gain.' },
    { term: 'Safety threshold', meaning: 'The cash buffer the scenario asks for; months that end below it cost reward (β).' },
    { term: 'Allocation', meaning: 'How the money left after fixed expenses is split each month: invest, save (keep as cash) and consume (spend; variable expenses are paid from it, any excess from cash).' },
    { term: 'Reward', meaning: 'The score the plan was trained to make as high as possible: the sum over the months of the six weighted terms below. It has no unit; compare it only between plans on the same scenario.' },
    { term: 'Stability', meaning: 'The share of months that ended with cash above zero (1 = never in the red).' },
    { term: 'Goal adherence', meaning: "How far the monthly decisions strayed from the long-term planner's invest target (mean gap of the invest share); lower means the plan follows its own goals more closely." },
    { term: `α (alpha) = ${formatNumber(reward.alpha)}`, meaning: `Reward points ${per} invested in a month: how much investing is encouraged.` },
    { term: `β (beta) = ${formatNumber(reward.beta)}`, meaning: `Penalty points ${per} by which month-end cash is below the safety threshold.` },
    { term: `γ (gamma) = ${formatNumber(reward.gamma)}`, meaning: `Penalty points ${per} of overspending: variable expenses beyond the consume share, paid from cash.` },
    { term: `δ (delta) = ${formatNumber(reward.delta)}`, meaning: `Penalty points ${per} of debt (cash below zero).` },
    { term: `λ (lambda) = ${formatNumber(reward.lambda)}`, meaning: `Reward points ${per} by which total wealth (cash + portfolio) grew during the month; a fall costs the same.` },
    { term: `μ (mu) = ${formatNumber(reward.mu)}`, meaning: 'Bonus points for every month that ends with cash above zero.' }
  ];
}
