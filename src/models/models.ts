import type { MetricSummary, ModelDetail, ModelSummary } from '../contracts/models.js';
import type { FinalMetrics } from '../contracts/events.js';
import type { ScenarioConfig } from '../hrl/index.js';
import type { ModelSummary as SummaryRow, Storage } from '../storage/index.js';

const MIB = 1024 * 1024;

const num = (m: Record<string, unknown> | null, key: string): number | null => {
  const v = m?.[key];
  return typeof v === 'number' ? v : null;
};

/** The original's summary fields, read from the training's final metrics. */
export function modelSummary(m: SummaryRow): ModelSummary {
  const f = m.final_metrics;
  return {
    name: m.name,
    scenario_name: m.scenario_name,
    run_id: m.run_id,
    size_mb: Math.round((m.size_bytes / MIB) * 1e4) / 1e4,
    trained_at: m.created_at,
    episodes: m.episodes,
    final_reward: num(f, 'final_reward'),
    avg_reward: num(f, 'avg_reward'),
    max_reward: num(f, 'max_reward'),
    final_duration: num(f, 'avg_duration'),
    final_cash: num(f, 'avg_cash'),
    final_invested: num(f, 'avg_invested')
  };
}

type Heavy = { config: ScenarioConfig; seed: number; training_history: Record<string, MetricSummary> };

/**
 * Model reads for the REST routes. A saved model never changes, so the parts of its
 * detail that cost most (parsing the weights JSON for the config, summarizing the
 * run's history) are cached per (name, created_at): a deleted and re-created name
 * misses the cache because its created_at differs.
 */
export class ModelService {
  readonly #storage: Storage;
  readonly #cache = new Map<string, Heavy>();
  readonly #cacheSize: number;

  constructor(storage: Storage, options: { cacheSize?: number } = {}) {
    this.#storage = storage;
    this.#cacheSize = options.cacheSize ?? 256;
  }

  async list(): Promise<ModelSummary[]> {
    return (await this.#storage.models.list()).map(modelSummary);
  }

  async #heavy(row: SummaryRow): Promise<Heavy | undefined> {
    const key = `${row.name}\u0000${row.created_at}`;
    const hit = this.#cache.get(key);
    if (hit) {
      // Refresh its place: the Map's order is the eviction order.
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const full = await this.#storage.models.get(row.name);
    if (!full) return undefined;
    // Summarized by the database: a run of a million episodes is never loaded here.
    const trainingHistory = row.run_id === null ? {} : await this.#storage.episodes.summary(row.run_id, row.episodes);
    const heavy: Heavy = { config: full.model.config, seed: full.model.seed, training_history: trainingHistory };
    this.#cache.set(key, heavy);
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    return heavy;
  }

  async detail(name: string): Promise<ModelDetail | undefined> {
    const row = await this.#storage.models.summary(name);
    if (!row) return undefined;
    const heavy = await this.#heavy(row);
    if (!heavy) return undefined;
    return {
      ...modelSummary(row),
      ...heavy.config,
      seed: heavy.seed,
      training_history: heavy.training_history,
      final_metrics: row.final_metrics as FinalMetrics | null
    };
  }
}
