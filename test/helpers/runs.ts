import type { FastifyInstance } from 'fastify';
import type { TrainingProgressData } from '../../src/contracts/events.js';
import type { RunStatus } from '../../src/contracts/training.js';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';

/** A schema-valid training_progress payload for `episode`. */
export const progressData = (episode: number, totalEpisodes = 100_000): TrainingProgressData => ({
  episode,
  total_episodes: totalEpisodes,
  avg_reward: episode,
  avg_duration: 60,
  avg_cash: 1000,
  avg_invested: 500,
  stability: 1,
  goal_adherence: 0.05,
  elapsed_time: episode / 10
});

/** Stores a run record (so it can be subscribed to) whose events a test publishes directly. */
export async function createStoredRun(app: FastifyInstance, runId: string, scenario = 'scn', status: RunStatus = 'running') {
  const now = new Date().toISOString();
  await app.storage.runs.create({
    run_id: runId,
    scenario_name: scenario,
    status,
    num_episodes: 100_000,
    episodes_completed: 0,
    seed: 1,
    created_at: now,
    started_at: now,
    finished_at: null,
    model_name: null,
    latest_progress: null,
    error: null,
    save_interval: 100,
    eval_episodes: 0,
    requested_model_name: null,
    config: normalizeScenarioConfig({})
  });
}
