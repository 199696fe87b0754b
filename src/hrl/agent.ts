// The two-level agent: a strategist that sets a plan every `high_period`
// months and an executor that allocates each month's budget given the
// observation and the plan. Both are Gaussian PPO learners; the executor's
// Gaussian lives in logit space and is mapped onto the simplex by ONE softmax
// (defect 1), the strategist's goal components by sigmoid and tanh.
//
// Both levels value the same thing, the episode reward users read (monthly
// reward incl. λ and μ), discounted per month by the same γ: the strategist's
// period reward is the discounted sum of its months. The strategist's goal is
// the executor's prior (the plan [invest_share, consume_scale]), so it changes
// what the executor does without any extra reward term, and the executor is a
// residual policy on that plan.
import type { ScenarioConfig } from './config.js';
import { BudgetEnv, OBS, OBS_SIZE } from './env.js';
import { GaussianPpo, type PpoOptions } from './ppo.js';
import type { Rng } from './rng.js';
import type { TrainingSettings } from './settings.js';

/** Observation (8) + progress within the strategist period (1) + goal (2). */
export const EXECUTOR_INPUT = OBS_SIZE + 1 + 2;
export const STRATEGIST_INPUT = 5;
export const ACTION_SIZE = 3;
/**
 * The strategist's plan for its period, [invest_share, consume_scale] (format 3): the share of the
 * non-consumed budget to invest (the rest is saved) and the factor on the expected expense to budget
 * for consumption. The plan IS the executor's prior, so a goal changes what the executor does.
 */
export const GOAL_SIZE = 2;

/** Hyper-parameters not in the scenario file or the resolved settings (docs/model.md explains each). */
export const HYPER = {
  executorHidden: [32, 16],
  executorValueHidden: [32],
  strategistHidden: [32, 16],
  strategistValueHidden: [32],
  clip: 0.2,
  entCoef: 0.003,
  maxGradNorm: 0.5,
  initLogStd: -0.5,
  minLogStd: -3,
  maxLogStd: 1,
  /**
   * Whether the executor's return is cut at period ends and continued with the strategist's value
   * (format 2's option-style bootstrap). Off: measured with goals as the prior, the executor's own
   * whole-episode GAE beat it on all four scenarios tried (docs/model.md, "How the levels connect").
   */
  periodBootstrap: false as boolean,
  /** consume_scale = 2^tanh(u₁): the plan budgets between half and twice the expected expense. */
  consumeScaleRange: 2,
} as const;
for (const v of Object.values(HYPER)) if (Array.isArray(v)) Object.freeze(v);
Object.freeze(HYPER);

/** hrl: both levels (the product). flat: the executor alone on the neutral plan (the ablation baseline). */
export type AgentMode = 'hrl' | 'flat';

/**
 * Fixed feature scaling, derived once from the training config and stored in the model, so the
 * executor acts and trains on the same normalized inputs (defect 6).
 */
export interface Normalization {
  money: number; // euros per unit (the training scenario's income)
  months: number; // the training scenario's max_months
  reward: number; // divide rewards by this before learning
}

export function normalizationFor(config: ScenarioConfig): Normalization {
  const e = config.environment;
  const r = config.reward;
  const base = Math.max(e.income - e.fixed_expenses, 0.05 * e.income);
  const coef = Math.max(r.alpha, r.beta, r.gamma, r.delta, 1e-3);
  return { money: e.income, months: e.max_months, reward: (coef * base) / 1000 };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The executor's prior: logits of "consume the expected variable expense, split the rest evenly
 * between investing and saving" ([(1 − e)/2, (1 − e)/2, e], e = expected expense ÷ the month's
 * budget at current prices, capped at 1; each share floored at PRIOR_FLOOR so every share stays
 * reachable). The executor's Gaussian is over offsets from these logits (a residual policy), so a
 * fresh executor already budgets sensibly and learning spends its samples on what a rule of thumb
 * cannot do (when to stop building the cash buffer, the end of the horizon, the spread of the
 * expense, returns).
 */
export const PRIOR_FLOOR = 0.01;

export function expectedExpenseShare(env: BudgetEnv): number {
  const price = env.priceLevel(env.month);
  const budget = env.env.income - env.env.fixed_expenses * price;
  if (budget <= 0) return 1;
  return Math.min(1, (env.env.variable_expense_mean * price) / budget);
}

/**
 * Logits of the plan [(1 − c)·s, (1 − c)·(1 − s), c] with c = min(1, consumeScale·e): budget
 * consumeScale times the expected expense, invest `investShare` of the rest and save the remainder.
 * The neutral goal (s = 0.5, scale 1, a fresh strategist's) is the textbook budget.
 */
export function priorLogits(e: number, out: Float64Array, investShare = 0.5, consumeScale = 1): void {
  const c = Math.min(1, consumeScale * e);
  const rest = 1 - c;
  out[0] = Math.log(Math.max(PRIOR_FLOOR, rest * investShare));
  out[1] = Math.log(Math.max(PRIOR_FLOOR, rest * (1 - investShare)));
  out[2] = Math.log(Math.max(PRIOR_FLOOR, c));
}

/** The neutral goal: the plan of a fresh strategist, and the flat ablation's fixed plan. */
export const NEUTRAL_GOAL: readonly [number, number] = Object.freeze([0.5, 1]) as readonly [number, number];

/** One softmax from logits to [invest, save, consume]. */
export function softmax3(z: ArrayLike<number>, out: Float64Array): void {
  const m = Math.max(z[0], z[1], z[2]);
  const e0 = Math.exp(z[0] - m);
  const e1 = Math.exp(z[1] - m);
  const e2 = Math.exp(z[2] - m);
  const s = e0 + e1 + e2;
  out[0] = e0 / s;
  out[1] = e1 / s;
  out[2] = e2 / s;
}

export interface EpisodeSummary {
  reward: number;
  length: number;
  finalCash: number;
  totalInvested: number;
  portfolioValue: number;
  cashStability: number;
  goalAdherence: number;
  sharpe: number;
  policyStability: number;
}

/** Per-month trace of an episode (evaluation/simulation only). */
export interface EpisodeTrace {
  cash: number[];
  invested: number[];
  portfolio: number[];
  actions: [number, number, number][];
  rewards: number[];
}

export function ppoOptions(config: ScenarioConfig, settings: TrainingSettings, level: 'executor' | 'strategist'): PpoOptions {
  const maxDecisions = Math.ceil(config.environment.max_months / settings.high_period) + 1;
  const exec = level === 'executor';
  const rollout = exec ? settings.executor_rollout : settings.strategist_rollout;
  return {
    inputDim: exec ? EXECUTOR_INPUT : STRATEGIST_INPUT,
    actDim: exec ? ACTION_SIZE : GOAL_SIZE,
    hidden: exec ? HYPER.executorHidden : HYPER.strategistHidden,
    valueHidden: exec ? HYPER.executorValueHidden : HYPER.strategistValueHidden,
    lr: exec ? settings.learning_rate_low : settings.learning_rate_high,
    valueLr: exec ? settings.value_learning_rate_low : settings.value_learning_rate_high,
    valueScale: settings.value_scale,
    gamma: exec ? settings.gamma_low : settings.gamma_high,
    lam: settings.gae_lambda,
    clip: HYPER.clip,
    epochs: settings.epochs,
    minibatch: settings.batch_size,
    entCoef: HYPER.entCoef,
    maxGradNorm: HYPER.maxGradNorm,
    rollout,
    capacity: rollout + (exec ? config.environment.max_months : maxDecisions),
    initLogStd: HYPER.initLogStd,
    minLogStd: HYPER.minLogStd,
    maxLogStd: HYPER.maxLogStd,
  };
}

export class HrlAgent {
  readonly executor: GaussianPpo;
  readonly strategist: GaussianPpo;
  readonly norm: Normalization;
  readonly mode: AgentMode;
  readonly settings: TrainingSettings;
  /** When set (evaluation only), the executor sees this goal instead of the strategist's (the frozen-goal ablation). */
  frozenGoal: Float64Array | null = null;
  private readonly highPeriod: number;
  private readonly gamma: number;
  // Scratch buffers, reused every month.
  private readonly obs = new Float64Array(OBS_SIZE);
  private readonly xe = new Float64Array(EXECUTOR_INPUT);
  private readonly xs = new Float64Array(STRATEGIST_INPUT);
  private readonly ze = new Float64Array(ACTION_SIZE);
  private readonly prior = new Float64Array(ACTION_SIZE);
  private readonly zs = new Float64Array(GOAL_SIZE);
  readonly action = new Float64Array(ACTION_SIZE);
  private readonly prevAction = new Float64Array(ACTION_SIZE);
  /** [invest_share, consume_scale] of the current period */
  readonly goal = new Float64Array(GOAL_SIZE);

  constructor(config: ScenarioConfig, settings: TrainingSettings, rng: Rng, norm: Normalization = normalizationFor(config), mode: AgentMode = 'hrl') {
    this.norm = norm;
    this.mode = mode;
    this.settings = settings;
    this.highPeriod = settings.high_period;
    this.gamma = settings.gamma_low;
    this.executor = new GaussianPpo(ppoOptions(config, settings, 'executor'), rng);
    this.strategist = new GaussianPpo(ppoOptions(config, settings, 'strategist'), rng);
  }

  private strategistFeatures(env: BudgetEnv, cashPositiveFraction: number): void {
    const m = this.norm.money;
    const x = this.xs;
    x[0] = Math.asinh((2 * env.cash) / m);
    x[1] = Math.asinh(env.portfolio / (4 * m));
    x[2] = (env.env.max_months - env.month) / this.norm.months;
    x[3] = (env.env.fixed_expenses * env.priceLevel(env.month)) / m;
    x[4] = cashPositiveFraction;
  }

  private executorFeatures(month: number): void {
    const m = this.norm.money;
    const o = this.obs;
    const x = this.xe;
    x[0] = o[OBS.income] / m - 1;
    x[1] = o[OBS.fixedExpenses] / m;
    x[2] = o[OBS.variableExpense] / m;
    x[3] = Math.asinh((2 * o[OBS.cash]) / m);
    x[4] = o[OBS.inflation] * 10;
    x[5] = o[OBS.riskTolerance] - 0.5;
    x[6] = o[OBS.monthsRemaining] / this.norm.months;
    x[7] = Math.asinh(o[OBS.portfolio] / (4 * m));
    x[8] = (month % this.highPeriod) / this.highPeriod;
    // The goal encoded so the neutral plan is 0: 2s − 1 and log₂(consume_scale).
    x[9] = 2 * this.goal[0] - 1;
    x[10] = Math.log2(this.goal[1]);
  }

  private setGoal(): void {
    if (this.frozenGoal) {
      this.goal[0] = this.frozenGoal[0];
      this.goal[1] = this.frozenGoal[1];
      return;
    }
    const z = this.zs;
    this.goal[0] = sigmoid(z[0]);
    this.goal[1] = Math.pow(HYPER.consumeScaleRange, Math.tanh(z[1]));
  }

  /**
   * Plays one episode. `learn` records transitions into the rollout buffers (and implies a
   * stochastic policy); otherwise the policy is stochastic only if `stochastic` is set.
   * `goals`, when given, receives every goal the strategist set (for the frozen-goal ablation).
   */
  runEpisode(env: BudgetEnv, learn: boolean, stochastic: boolean, trace?: EpisodeTrace, goals?: number[][]): EpisodeSummary {
    const sample = learn || stochastic;
    const hrl = this.mode === 'hrl';
    const scale = 1 / this.norm.reward;
    const g = this.gamma;
    env.reset();
    let total = 0;
    let sumSq = 0;
    let cashPositive = 0;
    let gap = 0;
    let change = 0;
    let periodReturn = 0; // Σ γ^k r_k (normalized) over the current period
    let periodDiscount = 1; // γ^(months so far in the period)
    let decided = false;
    if (!hrl) this.goal.set(NEUTRAL_GOAL);
    while (!env.done) {
      if (hrl && env.month % this.highPeriod === 0) {
        this.strategistFeatures(env, env.month === 0 ? 1 : cashPositive / env.month);
        this.strategist.act(this.xs, this.zs, sample, learn);
        if (decided && learn) {
          // Close the previous period: the strategist's step reward (and, with periodBootstrap, the
          // executor's segment, whose return would continue with the strategist's value here).
          this.strategist.rewardAt(this.strategist.size - 2, periodReturn, false, 0, periodDiscount);
          if (HYPER.periodBootstrap) this.executor.endSegment(this.strategist.lastValue);
        }
        this.setGoal();
        if (goals) goals.push([this.goal[0], this.goal[1]]);
        decided = true;
        periodReturn = 0;
        periodDiscount = 1;
      }
      env.observe(this.obs);
      this.executorFeatures(env.month);
      this.executor.act(this.xe, this.ze, sample, learn);
      priorLogits(expectedExpenseShare(env), this.prior, this.goal[0], this.goal[1]);
      const planInvest = Math.exp(this.prior[0]);
      this.prior[0] += this.ze[0];
      this.prior[1] += this.ze[1];
      this.prior[2] += this.ze[2];
      softmax3(this.prior, this.action);
      const a = this.action;
      const r = env.step(a[0], a[1], a[2]);
      const goalGap = Math.abs(a[0] - planInvest);
      if (learn) {
        this.executor.reward(r * scale, env.done);
        periodReturn += periodDiscount * r * scale;
        periodDiscount *= g;
      }
      total += r;
      sumSq += r * r;
      gap += goalGap;
      if (env.month > 1) change += 0.5 * (Math.abs(a[0] - this.prevAction[0]) + Math.abs(a[1] - this.prevAction[1]) + Math.abs(a[2] - this.prevAction[2]));
      this.prevAction[0] = a[0];
      this.prevAction[1] = a[1];
      this.prevAction[2] = a[2];
      if (env.cash > 0) cashPositive++;
      if (trace) {
        trace.cash.push(env.cash);
        trace.invested.push(env.contributed);
        trace.portfolio.push(env.portfolio);
        trace.actions.push([a[0], a[1], a[2]]);
        trace.rewards.push(r);
      }
    }
    if (learn && hrl) this.strategist.reward(periodReturn, true);
    const n = env.month;
    const mean = total / n;
    const variance = Math.max(0, sumSq / n - mean * mean);
    const sd = Math.sqrt(variance);
    return {
      reward: total,
      length: n,
      finalCash: env.cash,
      totalInvested: env.contributed,
      portfolioValue: env.portfolio,
      cashStability: cashPositive / n,
      goalAdherence: gap / n,
      sharpe: n > 1 && sd > 1e-12 ? mean / sd : 0,
      policyStability: n > 1 ? 1 - change / (n - 1) : 1,
    };
  }
}
