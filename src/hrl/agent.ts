// The two-level agent: a strategist that sets a goal every `high_period`
// months and an executor that allocates each month's budget given the
// observation and the goal. Both are Gaussian PPO learners; the executor's
// Gaussian lives in logit space and is mapped onto the simplex by ONE softmax
// (defect 1), the strategist's goal components by sigmoids.
import type { ScenarioConfig } from './config.js';
import { BudgetEnv, OBS, OBS_SIZE, highLevelReward } from './env.js';
import { GaussianPpo, type PpoOptions } from './ppo.js';
import type { Rng } from './rng.js';

export const EXECUTOR_INPUT = OBS_SIZE + 3;
export const STRATEGIST_INPUT = 5;
export const ACTION_SIZE = 3;
export const GOAL_SIZE = 3;

/** Hyper-parameters not in the scenario file (the same for every run; docs/model.md explains each). */
export const HYPER = {
  executorHidden: [32, 16],
  executorValueHidden: [32],
  strategistHidden: [32, 16],
  strategistValueHidden: [32],
  gaeLambda: 0.95,
  clip: 0.2,
  epochs: 3,
  executorRollout: 2048,
  strategistRollout: 256,
  entCoef: 0.003,
  maxGradNorm: 0.5,
  initLogStd: -0.5,
  minLogStd: -3,
  maxLogStd: 1,
  /** Weight of the executor's intrinsic goal-adherence term, in normalized reward units per month. */
  goalBonus: 0.02,
  /** Safety-buffer goals range over [0, maxBufferMonths] months of income. */
  maxBufferMonths: 3,
} as const;
for (const v of Object.values(HYPER)) if (Array.isArray(v)) Object.freeze(v);
Object.freeze(HYPER);

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

export function ppoOptions(config: ScenarioConfig, level: 'executor' | 'strategist'): PpoOptions {
  const t = config.training;
  const maxDecisions = Math.ceil(config.environment.max_months / t.high_period) + 1;
  const exec = level === 'executor';
  const rollout = exec ? HYPER.executorRollout : HYPER.strategistRollout;
  return {
    inputDim: exec ? EXECUTOR_INPUT : STRATEGIST_INPUT,
    actDim: exec ? ACTION_SIZE : GOAL_SIZE,
    hidden: exec ? HYPER.executorHidden : HYPER.strategistHidden,
    valueHidden: exec ? HYPER.executorValueHidden : HYPER.strategistValueHidden,
    lr: exec ? t.learning_rate_low : t.learning_rate_high,
    gamma: exec ? t.gamma_low : t.gamma_high,
    lam: HYPER.gaeLambda,
    clip: HYPER.clip,
    epochs: HYPER.epochs,
    minibatch: t.batch_size,
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
  private readonly highPeriod: number;
  private readonly config: ScenarioConfig;
  // Scratch buffers, reused every month.
  private readonly obs = new Float64Array(OBS_SIZE);
  private readonly xe = new Float64Array(EXECUTOR_INPUT);
  private readonly xs = new Float64Array(STRATEGIST_INPUT);
  private readonly ze = new Float64Array(ACTION_SIZE);
  private readonly zs = new Float64Array(GOAL_SIZE);
  readonly action = new Float64Array(ACTION_SIZE);
  private readonly prevAction = new Float64Array(ACTION_SIZE);
  /** [target_invest_ratio, safety_buffer (euros), aggressiveness] */
  readonly goal = new Float64Array(GOAL_SIZE);

  constructor(config: ScenarioConfig, rng: Rng, norm: Normalization = normalizationFor(config)) {
    this.config = config;
    this.norm = norm;
    this.highPeriod = config.training.high_period;
    this.executor = new GaussianPpo(ppoOptions(config, 'executor'), rng);
    this.strategist = new GaussianPpo(ppoOptions(config, 'strategist'), rng);
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

  private executorFeatures(): void {
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
    x[8] = this.goal[0];
    x[9] = this.goal[1] / m;
    x[10] = this.goal[2];
  }

  private setGoal(): void {
    const z = this.zs;
    this.goal[0] = sigmoid(z[0]);
    this.goal[1] = HYPER.maxBufferMonths * sigmoid(z[1]) * this.norm.money;
    this.goal[2] = sigmoid(z[2]);
  }

  /**
   * Plays one episode. `learn` records transitions into both rollout buffers (and implies a
   * stochastic policy); otherwise the policy is stochastic only if `stochastic` is set.
   */
  runEpisode(env: BudgetEnv, learn: boolean, stochastic: boolean, trace?: EpisodeTrace): EpisodeSummary {
    const sample = learn || stochastic;
    const reward = this.config.reward;
    const scale = 1 / this.norm.reward;
    env.reset();
    let total = 0;
    let sumSq = 0;
    let cashPositive = 0;
    let gap = 0;
    let change = 0;
    let periodLow = 0;
    let periodWealth0 = 0;
    let periodCashPositive = 0;
    let decided = false;
    while (!env.done) {
      if (env.month % this.highPeriod === 0) {
        if (decided && learn) {
          this.strategist.reward(highLevelReward(reward, periodLow, env.wealth - periodWealth0, periodCashPositive) * scale, false);
        }
        this.strategistFeatures(env, env.month === 0 ? 1 : cashPositive / env.month);
        this.strategist.act(this.xs, this.zs, sample, learn);
        this.setGoal();
        decided = true;
        periodLow = 0;
        periodWealth0 = env.wealth;
        periodCashPositive = 0;
      }
      env.observe(this.obs);
      this.executorFeatures();
      this.executor.act(this.xe, this.ze, sample, learn);
      softmax3(this.ze, this.action);
      const a = this.action;
      const r = env.step(a[0], a[1], a[2]);
      const g = Math.abs(a[0] - this.goal[0]);
      if (learn) this.executor.reward(r * scale - HYPER.goalBonus * g, env.done);
      total += r;
      sumSq += r * r;
      gap += g;
      if (env.month > 1) change += 0.5 * (Math.abs(a[0] - this.prevAction[0]) + Math.abs(a[1] - this.prevAction[1]) + Math.abs(a[2] - this.prevAction[2]));
      this.prevAction[0] = a[0];
      this.prevAction[1] = a[1];
      this.prevAction[2] = a[2];
      periodLow += r;
      if (env.cash > 0) {
        cashPositive++;
        periodCashPositive++;
      }
      if (trace) {
        trace.cash.push(env.cash);
        trace.invested.push(env.contributed);
        trace.portfolio.push(env.portfolio);
        trace.actions.push([a[0], a[1], a[2]]);
        trace.rewards.push(r);
      }
    }
    if (learn) this.strategist.reward(highLevelReward(reward, periodLow, env.wealth - periodWealth0, periodCashPositive) * scale, true);
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
