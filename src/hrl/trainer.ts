// Training loop. HrlTrainer is the synchronous step API; train() drives it
// episode by episode, yielding a macrotask between episodes so a worker
// thread can receive a stop message, and honouring an AbortSignal.
import { normalizeScenarioConfig, type ScenarioConfig } from './config.js';
import { BudgetEnv } from './env.js';
import { HrlAgent, type AgentMode } from './agent.js';
import type { EpisodeMetrics } from './metrics.js';
import { modelFromAgent, type HrlModel } from './model.js';
import { Rng } from './rng.js';
import { resolveTrainingSettings, type TrainingSettings } from './settings.js';

/** A loss, weight or metric became NaN/Infinity; the run must fail (service: training_error). */
export class NumericalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumericalError';
  }
}

export class HrlTrainer {
  readonly config: ScenarioConfig;
  readonly seed: number;
  readonly agent: HrlAgent;
  /** The settings in use (training.auto resolved; `settings.num_episodes` is the run's length). */
  readonly settings: TrainingSettings;
  private readonly env: BudgetEnv;
  episodes = 0;

  /** `episodes`: a count given with the run (wins over the auto budget and the file); `mode` flat is the ablation baseline. */
  constructor(config: ScenarioConfig, opts: { seed: number; episodes?: number; mode?: AgentMode }) {
    this.config = normalizeScenarioConfig(config);
    this.seed = opts.seed;
    this.settings = resolveTrainingSettings(this.config, { episodes: opts.episodes });
    // The single generator of the run: network init, environment draws, action sampling, minibatch shuffles.
    const rng = new Rng(opts.seed);
    this.agent = new HrlAgent(this.config, this.settings, rng, undefined, opts.mode);
    this.env = new BudgetEnv(this.config.environment, this.config.reward, rng);
  }

  trainEpisode(): EpisodeMetrics {
    const s = this.agent.runEpisode(this.env, true, true);
    this.episodes++;
    if (this.agent.executor.ready && !this.agent.executor.update()) {
      throw new NumericalError(`executor update produced a non-finite loss or weight after episode ${this.episodes}`);
    }
    if (this.agent.mode === 'hrl' && this.agent.strategist.ready && !this.agent.strategist.update()) {
      throw new NumericalError(`strategist update produced a non-finite loss or weight after episode ${this.episodes}`);
    }
    const m: EpisodeMetrics = {
      episode: this.episodes,
      episode_reward: s.reward,
      episode_length: s.length,
      final_cash: s.finalCash,
      total_invested: s.totalInvested,
      portfolio_value: s.portfolioValue,
      cash_stability_index: s.cashStability,
      goal_adherence: s.goalAdherence,
      sharpe_ratio: s.sharpe,
      policy_stability: s.policyStability,
    };
    for (const [k, v] of Object.entries(m)) {
      if (!Number.isFinite(v)) throw new NumericalError(`metric ${k} is ${v} in episode ${this.episodes}`);
    }
    return m;
  }

  toModel(): HrlModel {
    return modelFromAgent(this.agent, this.config, this.seed, this.episodes, this.settings);
  }
}

export interface TrainOptions {
  /** Episodes to train; omitted: the resolved settings' count (auto budget, or the file's under auto: false). */
  episodes?: number;
  seed: number;
  onEpisode?: (m: EpisodeMetrics) => void;
  signal?: AbortSignal;
  /** Yield to the event loop after this many episodes (default 1), and in any case after ~20 ms. */
  yieldEvery?: number;
}

export interface TrainResult {
  history: EpisodeMetrics[];
  model: HrlModel;
  settings: TrainingSettings;
  episodesCompleted: number;
  stopped: boolean;
}

const YIELD_MS = 20;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function train(config: ScenarioConfig, opts: TrainOptions): Promise<TrainResult> {
  if (opts.episodes !== undefined && (!Number.isInteger(opts.episodes) || opts.episodes < 0)) throw new RangeError('episodes must be a non-negative integer');
  const trainer = new HrlTrainer(config, { seed: opts.seed, episodes: opts.episodes });
  const episodes = trainer.settings.num_episodes;
  const history: EpisodeMetrics[] = [];
  const every = Math.max(1, opts.yieldEvery ?? 1);
  let sinceYield = 0;
  let lastYield = performance.now();
  let stopped = false;
  for (let i = 0; i < episodes; i++) {
    if (opts.signal?.aborted) {
      stopped = true;
      break;
    }
    const m = trainer.trainEpisode();
    history.push(m);
    opts.onEpisode?.(m);
    sinceYield++;
    if (sinceYield >= every || performance.now() - lastYield >= YIELD_MS) {
      await tick();
      sinceYield = 0;
      lastYield = performance.now();
    }
  }
  if (!stopped && opts.signal?.aborted && history.length < episodes) stopped = true;
  return { history, model: trainer.toModel(), settings: trainer.settings, episodesCompleted: history.length, stopped };
}
