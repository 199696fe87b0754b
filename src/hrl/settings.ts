// The training settings a run actually uses. With `training.auto` (the default) the learner derives
// them from the scenario's horizon, because the objective users read is the undiscounted reward of
// a whole episode and the original's values (γ_low 0.95 ≈ a 20-month horizon, value networks on
// the policy's tiny learning rate, a fixed 2048-month rollout) were never validated. With
// `auto: false` the file's values are used verbatim and everything the file cannot express keeps
// the behaviour of model format 1. docs/model.md explains every choice. Every value is a number or
// a boolean, so the object fits the event contract's open record of settings.
import { Type, type Static } from '@sinclair/typebox';
import type { ScenarioConfig } from './config.js';

export const TrainingSettingsSchema = Type.Object(
  {
    auto: Type.Boolean({ description: 'Whether the settings were derived from the horizon (training.auto)' }),
    num_episodes: Type.Integer({ minimum: 0, description: 'Episodes the run trains for' }),
    episodes_explicit: Type.Boolean({
      description: 'true: the count was given with the run; false: the horizon-derived budget (auto) or training.num_episodes (auto false)',
    }),
    gamma_low: Type.Number({ description: 'Executor discount per month' }),
    gamma_high: Type.Number({ description: 'Strategist discount per decision period' }),
    high_period: Type.Integer({ minimum: 1, description: 'Months between strategist decisions' }),
    batch_size: Type.Integer({ minimum: 1, description: 'PPO minibatch size' }),
    learning_rate_low: Type.Number({ description: 'Executor policy learning rate' }),
    learning_rate_high: Type.Number({ description: 'Strategist policy learning rate' }),
    value_learning_rate_low: Type.Number({ description: 'Executor value-network learning rate' }),
    value_learning_rate_high: Type.Number({ description: 'Strategist value-network learning rate' }),
    value_scale: Type.Number({ description: 'Value networks predict return / value_scale (normalized reward units)' }),
    executor_rollout: Type.Integer({ minimum: 1, description: 'Executor months buffered before a PPO update' }),
    strategist_rollout: Type.Integer({ minimum: 1, description: 'Strategist decisions buffered before a PPO update' }),
    epochs: Type.Integer({ minimum: 1 }),
    gae_lambda: Type.Number(),
  },
  { $id: 'TrainingSettings', additionalProperties: false },
);
export type TrainingSettings = Static<typeof TrainingSettingsSchema>;

/** Constants of the automatic choice (docs/model.md, "How training.auto chooses"). */
export const AUTO = {
  /** Environment months one default run trains for: ≈ 25 CPU-seconds at the measured ~28k months per CPU-second. */
  stepBudget: 700_000,
  /** The executor's effective horizon 1/(1 − γ) is this many episode lengths, so month 0 still sees the last month. */
  horizonMultiple: 2,
  /** Executor rollout ≈ this many episodes, within [rolloutMin, rolloutMax] months. */
  rolloutEpisodes: 16,
  rolloutMin: 512,
  rolloutMax: 4096,
  strategistRolloutMin: 32,
  batchSize: 64,
  policyLr: 3e-4,
  valueLr: 1e-3,
} as const;

/** Legacy settings (model format 1) for what the file cannot express, used verbatim under auto: false. */
export const FIXED = { executorRollout: 2048, strategistRollout: 256 } as const;

const EPOCHS = 3;
const GAE_LAMBDA = 0.95;

/** Discount whose effective horizon is `horizonMultiple` episode lengths. */
export function autoGamma(months: number): number {
  return 1 - 1 / (AUTO.horizonMultiple * Math.max(1, months));
}

/** Executor rollout in months: about `rolloutEpisodes` episodes, bounded. */
export function autoRollout(months: number): number {
  return Math.min(AUTO.rolloutMax, Math.max(AUTO.rolloutMin, AUTO.rolloutEpisodes * months));
}

/** Default episode count: the step budget spread over episodes of `months`. */
export function autoEpisodes(months: number): number {
  return Math.max(1, Math.ceil(AUTO.stepBudget / Math.max(1, months)));
}

/**
 * The settings a run uses. `episodes` (a count given with the run, e.g. `--episodes` or
 * `num_episodes` of a start request) always wins; otherwise auto runs use the horizon budget and
 * auto: false runs the file's `num_episodes`.
 */
export function resolveTrainingSettings(config: ScenarioConfig, opts: { episodes?: number } = {}): TrainingSettings {
  const t = config.training;
  const months = config.environment.max_months;
  const period = Math.max(1, Math.min(t.high_period, months));
  const decisionsPerEpisode = Math.ceil(months / period);
  const explicit = opts.episodes !== undefined;
  if (explicit && !(Number.isInteger(opts.episodes) && opts.episodes! >= 0)) throw new RangeError('episodes must be a non-negative integer');
  if (t.auto === false) {
    return {
      auto: false,
      num_episodes: explicit ? opts.episodes! : t.num_episodes,
      episodes_explicit: explicit,
      gamma_low: t.gamma_low,
      gamma_high: t.gamma_high,
      high_period: t.high_period,
      batch_size: t.batch_size,
      learning_rate_low: t.learning_rate_low,
      learning_rate_high: t.learning_rate_high,
      value_learning_rate_low: t.learning_rate_low,
      value_learning_rate_high: t.learning_rate_high,
      value_scale: 1,
      executor_rollout: FIXED.executorRollout,
      strategist_rollout: FIXED.strategistRollout,
      epochs: EPOCHS,
      gae_lambda: GAE_LAMBDA,
    };
  }
  const gamma = autoGamma(months);
  const rollout = autoRollout(months);
  const effectiveHorizon = Math.min(months, 1 / (1 - gamma));
  return {
    auto: true,
    num_episodes: explicit ? opts.episodes! : autoEpisodes(months),
    episodes_explicit: explicit,
    gamma_low: gamma,
    // One strategist step spans `period` months: the same monthly discount, so both levels value the same return.
    gamma_high: Math.pow(gamma, period),
    high_period: period,
    batch_size: AUTO.batchSize,
    learning_rate_low: AUTO.policyLr,
    learning_rate_high: AUTO.policyLr,
    value_learning_rate_low: AUTO.valueLr,
    value_learning_rate_high: AUTO.valueLr,
    // Per-month normalized rewards are O(0.1–1); a return sums up to the effective horizon of them.
    value_scale: Math.max(1, effectiveHorizon / 4),
    executor_rollout: rollout,
    strategist_rollout: Math.max(AUTO.strategistRolloutMin, Math.ceil((rollout / months) * decisionsPerEpisode)),
    epochs: EPOCHS,
    gae_lambda: GAE_LAMBDA,
  };
}
