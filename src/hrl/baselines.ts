// Baselines a trained plan must beat: the best constant allocation of the 0.05 simplex grid and the
// best of a fixed family of state-dependent rules of thumb. The best of each is chosen on selection
// episodes disjoint from the evaluation episodes, then all three policies are scored on the same
// evaluation episodes (paired draws), and the differences get a 95% t interval.
import { Type, type Static } from '@sinclair/typebox';
import { normalizeScenarioConfig, type ScenarioConfig } from './config.js';
import { BudgetEnv } from './env.js';
import { agentFromModel, type HrlModel } from './model.js';
import { expectedExpenseShare } from './agent.js';
import { Rng, deriveSeed } from './rng.js';
import { constantAllocationGrid } from './simulate.js';

export type Allocation = [number, number, number];

/** A rule of thumb: fills `out` with [invest, save, consume] for the coming month of `env`. */
export interface Rule {
  name: string;
  params: Record<string, number>;
  act(env: BudgetEnv, out: Float64Array): void;
}


function set(out: Float64Array, i: number, s: number, c: number): void {
  out[0] = i;
  out[1] = s;
  out[2] = c;
}

export const EMERGENCY_FUND_KS = [0.5, 1, 1.5, 2, 3] as const;

/** The rule family (fixed by the product, not tuned): action order [invest, save, consume]. */
export function ruleFamily(): Rule[] {
  const rules: Rule[] = [
    { name: 'fifty_thirty_twenty', params: {}, act: (_env, out) => set(out, 0.2, 0.3, 0.5) },
    {
      name: 'invest_above_expenses',
      params: {},
      act: (env, out) => {
        const e = expectedExpenseShare(env);
        set(out, 1 - e, 0, e);
      },
    },
  ];
  for (const k of EMERGENCY_FUND_KS) {
    rules.push({
      name: 'emergency_fund_first',
      params: { k },
      act: (env, out) => {
        const e = expectedExpenseShare(env);
        if (env.cash < k * env.env.safety_threshold) set(out, 0, 1 - e, e);
        else set(out, 1 - e, 0, e);
      },
    });
  }
  rules.push({ name: 'save_everything', params: {}, act: (_env, out) => set(out, 0, 1, 0) });
  return rules;
}

function episodeEnv(config: ScenarioConfig, seed: number, k: number): BudgetEnv {
  return new BudgetEnv(config.environment, config.reward, new Rng(deriveSeed(seed, k)));
}

/** Episode rewards of a rule on episodes first … first+count−1 of `seed` (the draws simulate() uses). */
export function evaluateRule(config: ScenarioConfig, rule: Rule, seed: number, first: number, count: number): number[] {
  const out = new Float64Array(3);
  const rewards: number[] = [];
  for (let k = first; k < first + count; k++) {
    const env = episodeEnv(config, seed, k);
    env.reset();
    let total = 0;
    while (!env.done) {
      rule.act(env, out);
      total += env.step(out[0], out[1], out[2]);
    }
    rewards.push(total);
  }
  return rewards;
}

/** Episode rewards of a constant allocation on episodes first … first+count−1 of `seed`. */
export function evaluateAllocation(config: ScenarioConfig, a: Readonly<Allocation>, seed: number, first: number, count: number): number[] {
  const rewards: number[] = [];
  for (let k = first; k < first + count; k++) {
    const env = episodeEnv(config, seed, k);
    env.reset();
    let total = 0;
    while (!env.done) total += env.step(a[0], a[1], a[2]);
    rewards.push(total);
  }
  return rewards;
}

/** Episode rewards of a trained model's deterministic policy (equal to simulate()'s episode_reward for the same seed). */
export function evaluateModel(model: HrlModel, config: ScenarioConfig, seed: number, first: number, count: number, frozenGoal?: readonly number[]): number[] {
  const agent = agentFromModel(model, config);
  if (frozenGoal) agent.frozenGoal = Float64Array.from(frozenGoal);
  const rewards: number[] = [];
  for (let k = first; k < first + count; k++) rewards.push(agent.runEpisode(episodeEnv(config, seed, k), false, false).reward);
  return rewards;
}

/** The mean goal the strategist sets on episodes first … first+count−1 (the frozen-goal ablation's goal). */
export function meanGoal(model: HrlModel, config: ScenarioConfig, seed: number, first: number, count: number): number[] {
  const agent = agentFromModel(model, config);
  const goals: number[][] = [];
  for (let k = first; k < first + count; k++) agent.runEpisode(episodeEnv(config, seed, k), false, false, undefined, goals);
  const mean = [0, 0];
  for (const g of goals) for (let i = 0; i < mean.length; i++) mean[i] += g[i] / goals.length;
  return mean;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Two-sided 97.5% quantile of Student's t with `df` degrees of freedom (Cornish–Fisher expansion
 * around the normal quantile; error < 1e-4 for df ≥ 5, which the ≥ 100 evaluation episodes exceed).
 */
export function tQuantile975(df: number): number {
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** Mean of a − b (paired by index) with a 95% t interval. */
export function pairedDifference(a: readonly number[], b: readonly number[]): { mean: number; ci95: [number, number] } {
  if (a.length !== b.length || a.length < 2) throw new RangeError('paired samples must have the same length, at least 2');
  const d = a.map((x, i) => x - b[i]);
  const m = mean(d);
  let v = 0;
  for (const x of d) v += (x - m) * (x - m);
  const se = Math.sqrt(v / (d.length - 1) / d.length);
  const half = tQuantile975(d.length - 1) * se;
  return { mean: m, ci95: [m - half, m + half] };
}

const DiffSchema = Type.Object(
  {
    mean: Type.Number({ description: 'Mean paired difference learned − baseline (episode reward)' }),
    ci95: Type.Tuple([Type.Number(), Type.Number()], { description: '95% t interval of the mean difference' }),
  },
  { additionalProperties: false },
);

/** What every completed run reports (means and intervals only; per-episode arrays stay in the evaluate command). */
export const BaselinesSchema = Type.Object(
  {
    episodes: Type.Integer({ minimum: 2, description: 'Held-out evaluation episodes (never a training draw)' }),
    learned_mean: Type.Number({ description: 'Mean episode reward of the learned deterministic policy' }),
    best_constant: Type.Object(
      {
        allocation: Type.Tuple([Type.Number(), Type.Number(), Type.Number()], { description: '[invest, save, consume] of the 0.05 simplex grid' }),
        mean: Type.Number(),
      },
      { additionalProperties: false },
    ),
    best_rule: Type.Object(
      {
        name: Type.String({ description: 'fifty_thirty_twenty | invest_above_expenses | emergency_fund_first | save_everything' }),
        params: Type.Record(Type.String(), Type.Number(), { description: 'e.g. {k: 1.5} for emergency_fund_first' }),
        mean: Type.Number(),
      },
      { additionalProperties: false },
    ),
    diff_constant: DiffSchema,
    diff_rule: DiffSchema,
  },
  { $id: 'Baselines', additionalProperties: false },
);
export type Baselines = Static<typeof BaselinesSchema>;

export interface BaselineComparison {
  summary: Baselines;
  learned: number[];
  best_constant: { allocation: Allocation; rewards: number[] };
  best_rule: { name: string; params: Record<string, number>; rewards: number[] };
}

export const GRID_STEP = 0.05;
/** Default evaluation episodes of a run's baselines (≥ 100 by the product's rule). */
export const BASELINE_EPISODES = 200;
/** Selection episodes on which the best constant and the best rule are chosen. */
export const SELECTION_EPISODES = 100;

/** The held-out evaluation seed of a training run: its episode streams are never the training stream. */
export function heldOutSeed(trainingSeed: number): number {
  return (trainingSeed + 0x9e3779b9) >>> 0;
}

/**
 * `onProgress` is called after each candidate (239 times), e.g. so a worker can show it is alive.
 * Scores the model's deterministic policy against the best constant and the best rule on
 * evaluation episodes 0 … episodes−1 of `seed` (exactly the episodes simulate() runs for that
 * seed). The best constant and rule are chosen on episodes episodes … episodes+selection−1 of the
 * same seed, disjoint from the evaluation episodes.
 */
export function compareWithBaselines(
  model: HrlModel,
  config: ScenarioConfig,
  opts: { episodes: number; seed: number; selectionEpisodes?: number; onProgress?: () => void },
): BaselineComparison {
  const cfg = normalizeScenarioConfig(config);
  const n = opts.episodes;
  if (!Number.isInteger(n) || n < 2) throw new RangeError('episodes must be an integer ≥ 2');
  const sel = opts.selectionEpisodes ?? SELECTION_EPISODES;
  const seed = opts.seed;

  let bestAlloc: Allocation = [0, 1, 0];
  let bestAllocMean = -Infinity;
  for (const a of constantAllocationGrid(GRID_STEP)) {
    const m = mean(evaluateAllocation(cfg, a, seed, n, sel));
    opts.onProgress?.();
    if (m > bestAllocMean) {
      bestAllocMean = m;
      bestAlloc = a;
    }
  }
  let bestRule: Rule | undefined;
  let bestRuleMean = -Infinity;
  for (const rule of ruleFamily()) {
    const m = mean(evaluateRule(cfg, rule, seed, n, sel));
    opts.onProgress?.();
    if (m > bestRuleMean) {
      bestRuleMean = m;
      bestRule = rule;
    }
  }
  const learned = evaluateModel(model, cfg, seed, 0, n);
  const constant = evaluateAllocation(cfg, bestAlloc, seed, 0, n);
  const rule = evaluateRule(cfg, bestRule!, seed, 0, n);
  return {
    summary: {
      episodes: n,
      learned_mean: mean(learned),
      best_constant: { allocation: [...bestAlloc], mean: mean(constant) },
      best_rule: { name: bestRule!.name, params: { ...bestRule!.params }, mean: mean(rule) },
      diff_constant: pairedDifference(learned, constant),
      diff_rule: pairedDifference(learned, rule),
    },
    learned,
    best_constant: { allocation: [...bestAlloc], rewards: constant },
    best_rule: { name: bestRule!.name, params: { ...bestRule!.params }, rewards: rule },
  };
}

/** The baselines of a completed run: BASELINE_EPISODES held-out episodes of heldOutSeed(training seed). */
export function runBaselines(model: HrlModel, config: ScenarioConfig, trainingSeed: number, opts: { episodes?: number; onProgress?: () => void } = {}): Baselines {
  return compareWithBaselines(model, config, { episodes: opts.episodes ?? BASELINE_EPISODES, seed: heldOutSeed(trainingSeed), onProgress: opts.onProgress }).summary;
}
