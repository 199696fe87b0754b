import type { FinalMetrics, TrainingProgressData } from '../contracts/events.js';
import type { EpisodeMetrics } from '../hrl/index.js';
import type { Evaluation } from './messages.js';

const WINDOW = 10;

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
