import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { ScenarioConfig } from '../hrl/index.js';
import { mapConflict } from './errors.js';
import type { DatabaseSchema } from './schema.js';
import { toCount } from './sql-util.js';

export type SimulationSummary = {
  simulation_id: string;
  scenario_name: string;
  model_name: string;
  num_episodes: number;
  seed: number;
  created_at: string;
  total_wealth_mean: number;
  duration_mean: number;
};

export type SimulationRecord = SimulationSummary & {
  /** The scenario's description when it was simulated. */
  description: string;
  config: ScenarioConfig;
  /** The full result as served by the REST API (a JSON object). */
  result: Record<string, unknown>;
};

export interface SimulationRepository {
  /** ConflictError if the id is taken. */
  insert(s: SimulationRecord): Promise<void>;
  get(simulationId: string): Promise<SimulationRecord | undefined>;
  /** Whether the simulation is stored, without reading its result. */
  exists(simulationId: string): Promise<boolean>;
  /**
   * Like get, but the result stays the stored JSON as UTF-8 bytes (never decoded into a
   * string here), for a caller that hands them to a worker thread and parses them there.
   */
  getWithResultBytes(simulationId: string): Promise<(Omit<SimulationRecord, 'result'> & { result_bytes: Uint8Array }) | undefined>;
  /** Newest first (then insertion order), without the result JSON. */
  list(q: { limit: number; offset: number; model_name?: string }): Promise<{ simulations: SimulationSummary[]; total: number }>;
  /** false when no such simulation. */
  delete(simulationId: string): Promise<boolean>;
  /** Deletes a model's simulations beyond its `keep` newest; returns the deleted ids. */
  deleteBeyond(modelName: string, keep: number): Promise<string[]>;
}

const SUMMARY_COLUMNS = [
  'simulation_id',
  'scenario_name',
  'model_name',
  'num_episodes',
  'seed',
  'created_at',
  'total_wealth_mean',
  'duration_mean'
] as const;

const summary = (row: Record<(typeof SUMMARY_COLUMNS)[number], unknown>): SimulationSummary => ({
  simulation_id: row.simulation_id as string,
  scenario_name: row.scenario_name as string,
  model_name: row.model_name as string,
  num_episodes: Number(row.num_episodes),
  seed: Number(row.seed),
  created_at: row.created_at as string,
  total_wealth_mean: Number(row.total_wealth_mean),
  duration_mean: Number(row.duration_mean)
});

export function createSimulationRepository(db: Kysely<DatabaseSchema>): SimulationRepository {
  // The text column read as bytes: a copy, where reading it as a string would decode
  // megabytes of UTF-8 on the event loop.
  const resultBytes = db.getExecutor().adapter instanceof PostgresAdapter ? sql<Uint8Array>`convert_to(result, 'UTF8')` : sql<Uint8Array>`CAST(result AS BLOB)`;
  const getWithResultBytes: SimulationRepository['getWithResultBytes'] = async (simulationId) => {
    const row = await db
      .selectFrom('simulations')
      .select([...SUMMARY_COLUMNS, 'description', 'config', resultBytes.as('result_bytes')])
      .where('simulation_id', '=', simulationId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      ...summary(row),
      description: row.description,
      config: JSON.parse(row.config) as ScenarioConfig,
      result_bytes: row.result_bytes
    };
  };
  return {
    async insert(s) {
      await mapConflict(
        () =>
          db
            .insertInto('simulations')
            .values({
              simulation_id: s.simulation_id,
              scenario_name: s.scenario_name,
              model_name: s.model_name,
              num_episodes: s.num_episodes,
              seed: s.seed,
              created_at: s.created_at,
              total_wealth_mean: s.total_wealth_mean,
              duration_mean: s.duration_mean,
              description: s.description,
              config: JSON.stringify(s.config),
              result: JSON.stringify(s.result)
            })
            .execute(),
        `simulation ${s.simulation_id} already exists`
      );
    },

    async get(simulationId) {
      const row = await db
        .selectFrom('simulations')
        .select([...SUMMARY_COLUMNS, 'description', 'config', 'result'])
        .where('simulation_id', '=', simulationId)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      return {
        ...summary(row),
        description: row.description,
        config: JSON.parse(row.config) as ScenarioConfig,
        result: JSON.parse(row.result) as Record<string, unknown>
      };
    },

    getWithResultBytes,

    async exists(simulationId) {
      const row = await db.selectFrom('simulations').select('id').where('simulation_id', '=', simulationId).executeTakeFirst();
      return row !== undefined;
    },

    async delete(simulationId) {
      const res = await db.deleteFrom('simulations').where('simulation_id', '=', simulationId).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },

    async deleteBeyond(modelName, keep) {
      const old = await db
        .selectFrom('simulations')
        .select('simulation_id')
        .where('model_name', '=', modelName)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(keep)
        // SQLite needs a LIMIT with OFFSET; -1 is its "no limit", so use a bound instead.
        .limit(Number.MAX_SAFE_INTEGER)
        .execute();
      const ids = old.map((r) => r.simulation_id);
      for (let i = 0; i < ids.length; i += 500) {
        await db.deleteFrom('simulations').where('simulation_id', 'in', ids.slice(i, i + 500)).execute();
      }
      return ids;
    },

    async list(q) {
      let base = db.selectFrom('simulations');
      if (q.model_name !== undefined) base = base.where('model_name', '=', q.model_name);
      const rows = await base
        .select(SUMMARY_COLUMNS)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(q.limit)
        .offset(q.offset)
        .execute();
      const count = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      return { simulations: rows.map(summary), total: toCount(count?.n) };
    }
  };
}
