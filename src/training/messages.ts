// The only language spoken between the main thread and training workers (house rule 7).
import type { Baselines, EpisodeMetrics, HrlModel, ScenarioConfig, SimulationOutcome, TrainingSettings } from '../hrl/index.js';

export interface TrainJob {
  kind: 'train';
  config: ScenarioConfig;
  /** Episodes given with the run; absent: the resolved settings' count (training.auto budget or the file's). */
  episodes?: number;
  seed: number;
  /** Episodes between checkpoints sent to the main thread. */
  saveInterval: number;
  /** Least time between two checkpoints, whatever saveInterval says (absent: no time limit). */
  checkpointMinMs?: number;
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

/**
 * `ack`: the main thread finished handling one update of the job. A worker keeps at most
 * MAX_UNACKED_UPDATES unacknowledged, so what it can queue to the main thread is bounded.
 */
export type ToWorker = { type: 'run'; jobId: string; job: Job } | { type: 'stop'; jobId: string } | { type: 'ack'; jobId: string };

/**
 * Updates (started, episode batches, checkpoints) a worker may have in flight before it
 * pauses training; a stop adds the run's last batch on top.
 */
export const MAX_UNACKED_UPDATES = 8;

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
  /** The learned policy vs the best constant and the best rule (completed runs only). */
  baselines: Baselines | null;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; jobId: string; settings?: TrainingSettings }
  | { type: 'episodes'; jobId: string; metrics: EpisodeMetrics[] }
  | { type: 'checkpoint'; jobId: string; episode: number; model: HrlModel }
  /** Sent during long work without other messages (the baselines), so the watchdog knows the worker is alive. */
  | { type: 'alive'; jobId: string }
  | { type: 'trained'; jobId: string; outcome: TrainOutcome }
  | { type: 'simulated'; jobId: string; outcome: SimulationOutcome }
  | { type: 'failed'; jobId: string; error: { name: string; message: string; details: string } };
