import { join } from 'node:path';
import type { RunEvent } from '../../src/contracts/events.js';
import type { HrlModel, ScenarioConfig } from '../../src/hrl/index.js';
import { openStorage, type RunRecord, type Storage } from '../../src/storage/index.js';

/** The parts of a tap Test these helpers use. */
export interface TestLike {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

/** A real database file in the test's own directory, closed at teardown. */
export async function openTestStorage(t: TestLike, name = 'data/hrl.sqlite'): Promise<{ storage: Storage; filename: string }> {
  const filename = join(t.testdir(), name);
  const storage = await openStorage({ filename });
  t.teardown(() => storage.close());
  return { storage, filename };
}

/** Storage stores the config as opaque JSON, so a fixture shape is enough here. */
export const sampleConfig = {
  environment: { income: 3200.5, fixed_expenses: 1400, max_months: 60 },
  training: { num_episodes: 100, gamma_low: 0.95 },
  reward: { alpha: 10, beta: 0.1, lambda_: 1 }
} as unknown as ScenarioConfig;

export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    run_id: 'run-1',
    scenario_name: 'bologna_coppia',
    status: 'queued',
    num_episodes: 100,
    episodes_completed: 0,
    seed: 4294967295,
    created_at: '2026-11-25T12:00:00.000Z',
    started_at: null,
    finished_at: null,
    model_name: null,
    latest_progress: null,
    error: null,
    save_interval: 10,
    eval_episodes: 5,
    requested_model_name: null,
    config: sampleConfig,
    ...overrides
  };
}

export function progressEvent(runId: string, seq: number, episode = seq): RunEvent {
  return {
    type: 'training_progress',
    ts: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, seq)).toISOString(),
    run_id: runId,
    seq,
    data: {
      episode,
      total_episodes: 100_000,
      avg_reward: 0.1 + 0.2,
      avg_duration: 60,
      avg_cash: -1234.5678901234567,
      avg_invested: 1e-300,
      stability: 0.9,
      goal_adherence: 0.05,
      elapsed_time: seq / 3
    }
  };
}

export function startedEvent(runId: string, scenario = 'bologna_coppia'): RunEvent {
  return {
    type: 'training_started',
    ts: '2026-11-25T12:00:00.000Z',
    run_id: runId,
    seq: 1,
    data: { run_id: runId, scenario_name: scenario, num_episodes: 100, start_time: '2026-11-25T12:00:00.000Z', seed: 42 }
  };
}

/** Storage treats models as opaque JSON, so tests use small stand-ins. */
export function fakeModel(json: Record<string, unknown>): HrlModel {
  return json as unknown as HrlModel;
}
