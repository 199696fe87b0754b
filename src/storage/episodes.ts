import type { Kysely } from 'kysely';
import type { EpisodeMetrics } from '../hrl/index.js';
import { mapConflict } from './errors.js';
import type { DatabaseSchema } from './schema.js';
import { insertChunked } from './sql-util.js';

/**
 * Per-episode history of a run. Each row is stored as JSON text, so numbers come back
 * bit-identical (JSON round-trips doubles exactly) — except -0, which JSON writes as 0,
 * and NaN/Infinity, which JSON writes as null.
 */
export interface EpisodeRepository {
  /** One transaction; a duplicate (run_id, episode) is a ConflictError; the run must exist. */
  append(runId: string, rows: EpisodeMetrics[]): Promise<void>;
  /** By episode ascending. */
  list(runId: string): Promise<EpisodeMetrics[]>;
  count(runId: string): Promise<number>;
}

const EPISODE_COLUMNS = 3;

export function createEpisodeRepository(db: Kysely<DatabaseSchema>): EpisodeRepository {
  return {
    async append(runId, rows) {
      if (rows.length === 0) return;
      const values = rows.map((m) => ({ run_id: runId, episode: m.episode, metrics: JSON.stringify(m) }));
      await mapConflict(
        () => insertChunked(db, values, EPISODE_COLUMNS, (exec, chunk) => exec.insertInto('run_episodes').values(chunk).execute()),
        `duplicate episode for run ${runId}`
      );
    },

    async list(runId) {
      const rows = await db
        .selectFrom('run_episodes')
        .select('metrics')
        .where('run_id', '=', runId)
        .orderBy('episode', 'asc')
        .execute();
      return rows.map((r) => JSON.parse(r.metrics) as EpisodeMetrics);
    },

    async count(runId) {
      const row = await db
        .selectFrom('run_episodes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return row === undefined ? 0 : Number(row.n);
    }
  };
}
