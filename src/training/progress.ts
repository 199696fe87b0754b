import type { FinalMetrics, TrainingProgressData } from '../contracts/events.js';
import type { EpisodeMetrics } from '../hrl/index.js';
import type { Evaluation } from './messages.js';

const WINDOW = 10;

/** The longest a worker holds finished episodes before sending them to the main thread. */
export const MAX_BATCH_MS = 50;

/**
 * How long a worker batches episodes for a progress rate: never longer than one progress
 * period, so batching cannot cap `training_progress` below HRL_PROGRESS_HZ (50 ms batches
 * used to cap it at 20/s whatever the setting), and never longer than MAX_BATCH_MS, so the
 * run's history and stop handling stay fresh at low rates.
 */
export function progressBatchMs(progressHz: number): number {
  return Math.min(MAX_BATCH_MS, 1000 / progressHz);
}

/**
 * Collects a worker's finished episodes and hands them on in batches: episode 1 at once
 * (so training_started is soon followed by progress), then whenever `periodMs` has passed
 * since the last batch. `flush()` sends what is held (before a checkpoint, at the end).
 */
export class EpisodeBatcher {
  #batch: EpisodeMetrics[] = [];
  #lastFlush: number;

  constructor(
    private readonly periodMs: number,
    private readonly send: (metrics: EpisodeMetrics[]) => void,
    private readonly now: () => number = Date.now
  ) {
    this.#lastFlush = now();
  }

  add(metrics: EpisodeMetrics): void {
    this.#batch.push(metrics);
    if (metrics.episode === 1 || this.now() - this.#lastFlush >= this.periodMs) this.flush();
  }

  flush(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#lastFlush = this.now();
    this.send(batch);
  }
}

/** Rolling statistics of a run's episodes, as the original reported them. */
export class RollingMetrics {
  readonly #window: EpisodeMetrics[] = [];
  #maxReward = -Infinity;
  #last: EpisodeMetrics | null = null;

  add(m: EpisodeMetrics): void {
    this.#window.push(m);
    if (this.#window.length > WINDOW) this.#window.shift();
    if (m.episode_reward > this.#maxReward) this.#maxReward = m.episode_reward;
    this.#last = m;
  }

  get episode(): number {
    return this.#last?.episode ?? 0;
  }

  /** Means over the last min(10, n) episodes. */
  progress(totalEpisodes: number, elapsedSeconds: number): TrainingProgressData {
    return {
      episode: this.episode,
      total_episodes: totalEpisodes,
      avg_reward: this.#mean('episode_reward'),
      avg_duration: this.#mean('episode_length'),
      avg_cash: this.#mean('final_cash'),
      avg_invested: this.#mean('total_invested'),
      stability: this.#mean('cash_stability_index'),
      goal_adherence: this.#mean('goal_adherence'),
      elapsed_time: elapsedSeconds
    };
  }

  final(evaluation: Evaluation | null): FinalMetrics {
    return {
      avg_reward: this.#mean('episode_reward'),
      avg_duration: this.#mean('episode_length'),
      avg_cash: this.#mean('final_cash'),
      avg_invested: this.#mean('total_invested'),
      avg_portfolio: this.#mean('portfolio_value'),
      stability: this.#mean('cash_stability_index'),
      goal_adherence: this.#mean('goal_adherence'),
      max_reward: Number.isFinite(this.#maxReward) ? this.#maxReward : 0,
      final_reward: this.#last?.episode_reward ?? 0,
      eval_episodes: evaluation?.episodes ?? 0,
      eval_reward_mean: evaluation?.reward_mean ?? null,
      eval_total_wealth_mean: evaluation?.total_wealth_mean ?? null
    };
  }

  #mean(key: keyof EpisodeMetrics): number {
    if (this.#window.length === 0) return 0;
    let sum = 0;
    for (const m of this.#window) sum += m[key];
    return sum / this.#window.length;
  }
}
