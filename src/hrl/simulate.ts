// Deterministic evaluation: a trained policy (mode actions) or a constant
// allocation, on environment draws seeded per episode. Episode k of any policy
// sees the same expense and return draws for the same seed, so comparisons
// between policies are paired.
import type { ScenarioConfig } from './config.js';
import { normalizeScenarioConfig } from './config.js';
import { BudgetEnv } from './env.js';
import type { EpisodeTrace } from './agent.js';
import { agentFromModel, type HrlModel } from './model.js';
import { Rng, deriveSeed } from './rng.js';

export interface SimulatedEpisode {
  episode_id: number;
  duration: number;
  final_cash: number;
  final_invested: number;
  final_portfolio_value: number;
  total_wealth: number;
  investment_gains: number;
  episode_reward: number;
  months: number[];
  cash_history: number[];
  invested_history: number[];
  portfolio_history: number[];
  actions: [number, number, number][];
}

export interface SimulationAggregates {
  duration_mean: number;
  duration_std: number;
  final_cash_mean: number;
  final_cash_std: number;
  final_invested_mean: number;
  final_invested_std: number;
  final_portfolio_mean: number;
  final_portfolio_std: number;
  total_wealth_mean: number;
  total_wealth_std: number;
  investment_gains_mean: number;
  investment_gains_std: number;
  /** Mean action shares over all simulated months, in percent (0–100). */
  avg_invest_pct: number;
  avg_save_pct: number;
  avg_consume_pct: number;
  episode_reward_mean: number;
  episode_reward_std: number;
}

export interface SimulationOutcome {
  episodes: SimulatedEpisode[];
  aggregates: SimulationAggregates;
}

/** Mean and population standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: 0, std: 0 };
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let v = 0;
  for (const x of xs) v += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(v / xs.length) };
}

function episodeEnv(config: ScenarioConfig, seed: number, k: number): BudgetEnv {
  return new BudgetEnv(config.environment, config.reward, new Rng(deriveSeed(seed, k)));
}

type Policy = (env: BudgetEnv, trace: EpisodeTrace) => number;

function runEpisodes(config: ScenarioConfig, episodes: number, seed: number, policy: Policy): SimulationOutcome {
  const out: SimulatedEpisode[] = [];
  let inv = 0;
  let sav = 0;
  let con = 0;
  let months = 0;
  for (let k = 0; k < episodes; k++) {
    const env = episodeEnv(config, seed, k);
    const trace: EpisodeTrace = { cash: [], invested: [], portfolio: [], actions: [], rewards: [] };
    const reward = policy(env, trace);
    for (const a of trace.actions) {
      inv += a[0];
      sav += a[1];
      con += a[2];
    }
    months += trace.actions.length;
    out.push({
      episode_id: k + 1,
      duration: env.month,
      final_cash: env.cash,
      final_invested: env.contributed,
      final_portfolio_value: env.portfolio,
      total_wealth: env.cash + env.portfolio,
      investment_gains: env.portfolio - env.contributed,
      episode_reward: reward,
      months: trace.cash.map((_, i) => i + 1),
      cash_history: trace.cash,
      invested_history: trace.invested,
      portfolio_history: trace.portfolio,
      actions: trace.actions,
    });
  }
  const agg = (f: (e: SimulatedEpisode) => number): { mean: number; std: number } => meanStd(out.map(f));
  const d = agg((e) => e.duration);
  const c = agg((e) => e.final_cash);
  const i = agg((e) => e.final_invested);
  const p = agg((e) => e.final_portfolio_value);
  const w = agg((e) => e.total_wealth);
  const g = agg((e) => e.investment_gains);
  const r = agg((e) => e.episode_reward);
  const pct = (x: number): number => (months > 0 ? (100 * x) / months : 0);
  return {
    episodes: out,
    aggregates: {
      duration_mean: d.mean,
      duration_std: d.std,
      final_cash_mean: c.mean,
      final_cash_std: c.std,
      final_invested_mean: i.mean,
      final_invested_std: i.std,
      final_portfolio_mean: p.mean,
      final_portfolio_std: p.std,
      total_wealth_mean: w.mean,
      total_wealth_std: w.std,
      investment_gains_mean: g.mean,
      investment_gains_std: g.std,
      avg_invest_pct: pct(inv),
      avg_save_pct: pct(sav),
      avg_consume_pct: pct(con),
      episode_reward_mean: r.mean,
      episode_reward_std: r.std,
    },
  };
}

/** Runs the model's deterministic policy (strategist and executor modes) for `episodes` seeded episodes on `config`. */
export function simulate(model: HrlModel, config: ScenarioConfig, opts: { episodes: number; seed: number }): SimulationOutcome {
  const cfg = normalizeScenarioConfig(config);
  const agent = agentFromModel(model, cfg);
  return runEpisodes(cfg, opts.episodes, opts.seed, (env, trace) => agent.runEpisode(env, false, false, trace).reward);
}

/** Every allocation [invest, save, consume] on the simplex whose parts are multiples of `step` (e.g. 0.1 → 66 points). */
export function constantAllocationGrid(step: number): [number, number, number][] {
  if (!(step > 0 && step <= 1)) throw new RangeError('step must be in (0, 1]');
  const n = Math.round(1 / step);
  const out: [number, number, number][] = [];
  for (let i = 0; i <= n; i++) for (let s = 0; s <= n - i; s++) out.push([i / n, s / n, (n - i - s) / n]);
  return out;
}

export interface ConstantPolicyResult {
  allocation: [number, number, number];
  episode_rewards: number[];
  episode_reward_mean: number;
  episode_reward_std: number;
  duration_mean: number;
  total_wealth_mean: number;
}

/** Evaluates a fixed allocation every month on the same per-episode draws simulate() uses for the same seed. */
export function evaluateConstantPolicy(config: ScenarioConfig, allocation: readonly [number, number, number], opts: { episodes: number; seed: number }): ConstantPolicyResult {
  const cfg = normalizeScenarioConfig(config);
  const rewards: number[] = [];
  const durations: number[] = [];
  const wealth: number[] = [];
  for (let k = 0; k < opts.episodes; k++) {
    const env = episodeEnv(cfg, opts.seed, k);
    env.reset();
    let total = 0;
    while (!env.done) total += env.step(allocation[0], allocation[1], allocation[2]);
    rewards.push(total);
    durations.push(env.month);
    wealth.push(env.wealth);
  }
  const r = meanStd(rewards);
  return {
    allocation: [allocation[0], allocation[1], allocation[2]],
    episode_rewards: rewards,
    episode_reward_mean: r.mean,
    episode_reward_std: r.std,
    duration_mean: meanStd(durations).mean,
    total_wealth_mean: meanStd(wealth).mean,
  };
}

/** The grid allocation with the highest mean episode reward on the given seeds. */
export function bestConstantPolicy(config: ScenarioConfig, step: number, opts: { episodes: number; seed: number }): ConstantPolicyResult {
  let best: ConstantPolicyResult | undefined;
  for (const a of constantAllocationGrid(step)) {
    const r = evaluateConstantPolicy(config, a, opts);
    if (!best || r.episode_reward_mean > best.episode_reward_mean) best = r;
  }
  return best!;
}
