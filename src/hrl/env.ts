// The monthly budget simulation. docs/model.md states these dynamics in full;
// the order of operations within a month is part of the contract because the
// tests check hand-computed months against it.
import type { EnvironmentConfig, RewardConfig } from './config.js';
import type { Rng } from './rng.js';

/** Raw observation layout (euros, rates, months): the original's 7 numbers plus the portfolio value. */
export const OBS = {
  income: 0,
  fixedExpenses: 1,
  variableExpense: 2,
  cash: 3,
  inflation: 4,
  riskTolerance: 5,
  monthsRemaining: 6,
  portfolio: 7,
} as const;
export const OBS_SIZE = 8;

/** Monthly rate equivalent to an annual one: (1 + annual)^(1/12) − 1 (defect 2). */
export function monthlyRate(annual: number): number {
  return Math.pow(1 + annual, 1 / 12) - 1;
}

/** The reward terms of a month, already scaled by 1/1000 and signed as they enter the reward. */
export interface RewardTerms {
  invest: number;
  stability: number;
  overspend: number;
  debt: number;
  /** λ·Δ(total wealth)/1000 of the month (set by BudgetEnv.step only). */
  wealth?: number;
  /** μ when the month ended with cash > 0 (set by BudgetEnv.step only). */
  solvency?: number;
}

/**
 * Low-level reward of one month: +α·invested − β·max(0, T − cash') − γ·overspend − δ·max(0, −cash'),
 * everything in euros scaled by 1/1000. Writes the signed terms into `terms` when given.
 */
export function lowLevelReward(reward: RewardConfig, threshold: number, invested: number, overspend: number, cashAfter: number, terms?: RewardTerms): number {
  const inv = (reward.alpha * invested) / 1000;
  const stab = -(reward.beta * Math.max(0, threshold - cashAfter)) / 1000;
  const over = -(reward.gamma * Math.max(0, overspend)) / 1000;
  const debt = -(reward.delta * Math.max(0, -cashAfter)) / 1000;
  if (terms) {
    terms.invest = inv;
    terms.stability = stab;
    terms.overspend = over;
    terms.debt = debt;
  }
  return inv + stab + over + debt;
}

/**
 * The reward of one month, the unit everything is scored and trained in: the low-level terms plus
 * λ·Δ(total wealth)/1000 plus μ if the month ended with cash > 0. Summed over a strategist period
 * it equals highLevelReward of that period; summed over an episode it is `episode_reward`.
 */
export function monthlyReward(reward: RewardConfig, low: number, wealthChange: number, cashAfter: number): number {
  return low + (reward.lambda * wealthChange) / 1000 + (cashAfter > 0 ? reward.mu : 0);
}

/**
 * Strategist reward for one period: the period's low-level rewards, plus λ·Δ(total wealth)/1000,
 * plus μ per month of the period that ended with cash > 0.
 */
export function highLevelReward(reward: RewardConfig, lowSum: number, wealthChange: number, monthsCashPositive: number): number {
  return lowSum + (reward.lambda * wealthChange) / 1000 + reward.mu * monthsCashPositive;
}

export class BudgetEnv {
  readonly env: EnvironmentConfig;
  readonly reward: RewardConfig;
  private readonly rng: Rng;
  private readonly monthlyInflation: number;
  private readonly prices: Float64Array;

  // State.
  month = 0; // months elapsed in the episode
  cash = 0;
  portfolio = 0;
  contributed = 0;
  lastVariableExpense = 0;
  done = true;

  // What the last step did (read by the trainer and the tests; no allocation per step).
  readonly terms: RewardTerms = { invest: 0, stability: 0, overspend: 0, debt: 0, wealth: 0, solvency: 0 };
  /** The low-level (α, β, γ, δ) part of the last month's reward. */
  lastLowReward = 0;
  lastReturn = 0;
  lastGain = 0;
  lastInvested = 0;
  lastSaved = 0;
  lastConsumeBudget = 0;
  lastOverspend = 0;
  lastFixedExpenses = 0;
  terminated = false;
  truncated = false;

  constructor(env: EnvironmentConfig, reward: RewardConfig, rng: Rng) {
    this.env = env;
    this.reward = reward;
    this.rng = rng;
    this.monthlyInflation = monthlyRate(env.inflation);
    this.prices = new Float64Array(env.max_months + 1);
    for (let m = 0; m <= env.max_months; m++) this.prices[m] = Math.pow(1 + this.monthlyInflation, m);
  }

  /** Price level of month `m` (0-based) relative to the first month. */
  priceLevel(m: number): number {
    return m <= this.env.max_months ? this.prices[m] : Math.pow(1 + this.monthlyInflation, m);
  }

  reset(): void {
    this.month = 0;
    this.cash = this.env.initial_cash;
    this.portfolio = 0;
    this.contributed = 0;
    this.lastVariableExpense = this.env.variable_expense_mean;
    this.done = false;
    this.terminated = false;
    this.truncated = false;
  }

  get wealth(): number {
    return this.cash + this.portfolio;
  }

  /** Writes the raw observation of the coming month into out[off..off+OBS_SIZE). */
  observe(out: Float64Array, off = 0): void {
    const e = this.env;
    out[off + OBS.income] = e.income;
    out[off + OBS.fixedExpenses] = e.fixed_expenses * this.priceLevel(this.month);
    out[off + OBS.variableExpense] = this.lastVariableExpense;
    out[off + OBS.cash] = this.cash;
    out[off + OBS.inflation] = e.inflation;
    out[off + OBS.riskTolerance] = e.risk_tolerance;
    out[off + OBS.monthsRemaining] = e.max_months - this.month;
    out[off + OBS.portfolio] = this.portfolio;
  }

  /**
   * Simulates one month with allocation [invest, save, consume] (normalized onto the simplex here,
   * so callers may pass any non-negative weights). Returns the month's reward (monthlyReward: the
   * low-level terms, λ·Δwealth and μ); the low-level part is in `lastLowReward`.
   */
  step(invest: number, save: number, consume: number): number {
    if (this.done) throw new Error('step() after the episode ended; call reset()');
    const e = this.env;
    let wi = invest > 0 ? invest : 0;
    let ws = save > 0 ? save : 0;
    let wc = consume > 0 ? consume : 0;
    const sum = wi + ws + wc;
    if (sum > 0) {
      wi /= sum;
      ws /= sum;
      wc /= sum;
    } else {
      wi = 0;
      ws = 1;
      wc = 0;
    }

    // 1. The month's return on the holdings at the start of the month.
    let r = 0;
    if (e.investment_return_type === 'fixed') r = e.investment_return_mean;
    else if (e.investment_return_type === 'stochastic') r = e.investment_return_mean + e.investment_return_std * this.rng.normal();
    if (r < -1) r = -1;
    const wealthBefore = this.cash + this.portfolio;
    const gain = this.portfolio * r;
    this.portfolio += gain;

    // 2. Prices of this month (inflation compounds monthly from the base month).
    const price = this.priceLevel(this.month);
    const fixed = e.fixed_expenses * price;
    const budget = e.income - fixed;
    const base = budget > 0 ? budget : 0;
    const fixedShortfall = budget < 0 ? -budget : 0;

    // 3. The allocation splits what is left after fixed expenses.
    const invested = wi * base;
    const saved = ws * base;
    const consumeBudget = wc * base;

    // 4. The variable expense is drawn after the decision and paid from the consume budget;
    //    what the budget does not cover (and any fixed-expense shortfall) comes out of cash.
    let v = e.variable_expense_mean * price + e.variable_expense_std * price * this.rng.normal();
    if (v < 0) v = 0;
    const overspend = (v > consumeBudget ? v - consumeBudget : 0) + fixedShortfall;

    this.cash += saved - overspend;
    this.portfolio += invested;
    this.contributed += invested;
    this.lastVariableExpense = v;

    const low = lowLevelReward(this.reward, e.safety_threshold, invested, overspend, this.cash, this.terms);
    const wealthChange = this.cash + this.portfolio - wealthBefore;
    const reward = monthlyReward(this.reward, low, wealthChange, this.cash);
    this.terms.wealth = (this.reward.lambda * wealthChange) / 1000;
    this.terms.solvency = this.cash > 0 ? this.reward.mu : 0;
    this.lastLowReward = low;

    this.lastReturn = r;
    this.lastGain = gain;
    this.lastInvested = invested;
    this.lastSaved = saved;
    this.lastConsumeBudget = consumeBudget;
    this.lastOverspend = overspend;
    this.lastFixedExpenses = fixed;

    this.month++;
    this.terminated = this.cash < 0;
    this.truncated = !this.terminated && this.month >= e.max_months;
    this.done = this.terminated || this.truncated;
    return reward;
  }
}
