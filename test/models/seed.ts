// Test data for the model, simulation and report tests: a scenario, a completed run
// with its per-episode history, and the model it saved — written straight to storage.
import type { FastifyInstance } from 'fastify';
import { normalizeScenarioConfig, train, type ScenarioConfig } from '../../src/hrl/index.js';

export interface Seeded {
  config: ScenarioConfig;
  runId: string;
  history: Awaited<ReturnType<typeof train>>['history'];
  finalMetrics: Record<string, number | null>;
}

export async function seedTrainedModel(
  app: FastifyInstance,
  opts: { scenario: string; model: string; episodes?: number; seed?: number; description?: string; environment?: Record<string, unknown> }
): Promise<Seeded> {
  const config = normalizeScenarioConfig({ environment: { income: 3000, max_months: 24, ...opts.environment } });
  const now = new Date().toISOString();
  if (!(await app.storage.scenarios.get(opts.scenario))) {
    await app.storage.scenarios.insert({ name: opts.scenario, description: opts.description ?? '', config, created_at: now, updated_at: now });
  }
  const episodes = opts.episodes ?? 12;
  const seed = opts.seed ?? 7;
  const result = await train(config, { episodes, seed });
  const runId = `run_seed_${opts.model.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  await app.storage.runs.create({
    run_id: runId,
    scenario_name: opts.scenario,
    status: 'completed',
    num_episodes: episodes,
    episodes_completed: episodes,
    seed,
    created_at: now,
    started_at: now,
    finished_at: now,
    model_name: opts.model,
    latest_progress: null,
    error: null,
    save_interval: 100,
    eval_episodes: 0,
    requested_model_name: opts.model,
    config
  });
  await app.storage.episodes.append(runId, result.history);
  const rewards = result.history.map((h) => h.episode_reward);
  const last = result.history.slice(-10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const finalMetrics = {
    avg_reward: mean(last.map((h) => h.episode_reward)),
    avg_duration: mean(last.map((h) => h.episode_length)),
    avg_cash: mean(last.map((h) => h.final_cash)),
    avg_invested: mean(last.map((h) => h.total_invested)),
    avg_portfolio: mean(last.map((h) => h.portfolio_value)),
    stability: mean(last.map((h) => h.cash_stability_index)),
    goal_adherence: mean(last.map((h) => h.goal_adherence)),
    max_reward: Math.max(...rewards),
    final_reward: rewards[rewards.length - 1]!,
    eval_episodes: 0,
    eval_reward_mean: null,
    eval_total_wealth_mean: null
  };
  await app.storage.models.insert({
    name: opts.model,
    scenario_name: opts.scenario,
    run_id: runId,
    created_at: new Date().toISOString(),
    episodes,
    final_metrics: finalMetrics,
    model: result.model
  });
  return { config, runId, history: result.history, finalMetrics };
}
