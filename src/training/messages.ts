// The only language spoken between the main thread and training workers (house rule 7).
import type { EpisodeMetrics, HrlModel, ScenarioConfig, SimulationOutcome } from '../hrl/index.js';

export interface TrainJob {
  kind: 'train';
  config: ScenarioConfig;
  episodes: number;
  seed: number;
  /** Episodes between checkpoints sent to the main thread. */
  saveInterval: number;
  /** Deterministic evaluation episodes run after training (0: none). */
  evalEpisodes: number;
  /** Longest time finished episodes wait in the worker before they are sent (progressBatchMs). */
  batchMs: number;
}

export interface SimulateJob {
  kind: 'simulate';
  model: HrlModel;
  config: ScenarioConfig;
  episodes: number;
  seed: number;
}

export type Job = TrainJob | SimulateJob;

export type ToWorker = { type: 'run'; jobId: string; job: Job } | { type: 'stop'; jobId: string };

export interface Evaluation {
  episodes: number;
  reward_mean: number;
  total_wealth_mean: number;
}

export interface TrainOutcome {
  model: HrlModel | null;
  episodesCompleted: number;
  stopped: boolean;
  evaluation: Evaluation | null;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; jobId: string }
  | { type: 'episodes'; jobId: string; metrics: EpisodeMetrics[] }
  | { type: 'checkpoint'; jobId: string; episode: number; model: HrlModel }
  | { type: 'trained'; jobId: string; outcome: TrainOutcome }
  | { type: 'simulated'; jobId: string; outcome: SimulationOutcome }
  | { type: 'failed'; jobId: string; error: { name: string; message: string; details: string } };
