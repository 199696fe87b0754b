import { sql, type Kysely } from 'kysely';
import type { MetricSummary } from '../contracts/models.js';
import { EpisodeMetricsSchema, type EpisodeMetrics } from '../hrl/index.js';
import { mapConflict } from './errors.js';
import type { DatabaseSchema } from './schema.js';
import { insertChunked, jsonNumber } from './sql-util.js';

/** Every metric of an episode row but the episode number. */
export const SUMMARY_METRICS = Object.keys(EpisodeMetricsSchema.properties).filter((k) => k !== 'episode');

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
  /** Episodes after `afterEpisode`, ascending, at most `limit`. */
  page(runId: string, afterEpisode: number, limit: number): Promise<EpisodeMetrics[]>;
  count(runId: string): Promise<number>;
  /**
   * Per metric, over episodes 1..`maxEpisode` whose value is a finite number, computed by
   * the database (nothing per episode crosses into JavaScript); metrics without any such
   * value are left out.
   */
  summary(runId: string, maxEpisode: number): Promise<Record<string, MetricSummary>>;
  /**
   * Mean `episode_reward` of episodes 1..`maxEpisode` in consecutive buckets of equal size,
   * at most `maxPoints` of them, averaged by the database: a report's reward curve costs the
   * same for a run of a million episodes as for one of a few thousand.
   */
  rewardCurve(runId: string, maxEpisode: number, maxPoints: number): Promise<number[]>;
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

    async page(runId, afterEpisode, limit) {
      if (limit <= 0) return [];
      const rows = await db
        .selectFrom('run_episodes')
        .select('metrics')
        .where('run_id', '=', runId)
        .where('episode', '>', afterEpisode)
        .orderBy('episode', 'asc')
        .limit(limit)
        .execute();
      return rows.map((r) => JSON.parse(r.metrics) as EpisodeMetrics);
    },

    async summary(runId, maxEpisode) {
      const value = (key: string) => jsonNumber(db, 'metrics', key);
      // first/last: the lowest/highest episode with a value, found through the primary key.
      const edge = (key: string, direction: 'asc' | 'desc') =>
        db
          .selectFrom('run_episodes')
          .select(value(key).as('v'))
          .where('run_id', '=', runId)
          .where('episode', '<=', maxEpisode)
          .where(value(key), 'is not', null)
          .orderBy('episode', direction)
          .limit(1);
      const row = await db
        .selectFrom('run_episodes')
        .select(
          SUMMARY_METRICS.flatMap((key, i) => [
            sql<number>`count(${value(key)})`.as(`n${i}`),
            sql<number>`avg(${value(key)})`.as(`mean${i}`),
            sql<number>`min(${value(key)})`.as(`min${i}`),
            sql<number>`max(${value(key)})`.as(`max${i}`),
            edge(key, 'asc').as(`first${i}`),
            edge(key, 'desc').as(`last${i}`)
          ])
        )
        .where('run_id', '=', runId)
        .where('episode', '<=', maxEpisode)
        .executeTakeFirst();
      const out: Record<string, MetricSummary> = {};
      const r = (row ?? {}) as Record<string, unknown>;
      SUMMARY_METRICS.forEach((key, i) => {
        const count = Number(r[`n${i}`] ?? 0);
        if (count === 0) return;
        out[key] = {
          count,
          first: Number(r[`first${i}`]),
          last: Number(r[`last${i}`]),
          mean: Number(r[`mean${i}`]),
          min: Number(r[`min${i}`]),
          max: Number(r[`max${i}`])
        };
      });
      return out;
    },

    async rewardCurve(runId, maxEpisode, maxPoints) {
      const counted = await db
        .selectFrom('run_episodes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('run_id', '=', runId)
        .where('episode', '<=', maxEpisode)
        .executeTakeFirst();
      const n = counted === undefined ? 0 : Number(counted.n);
      if (n === 0 || maxPoints < 1) return [];
      const bucket = Math.max(1, Math.ceil(n / maxPoints));
      const reward = jsonNumber(db, 'metrics', 'episode_reward');
      // An integer literal, not a bound parameter: SQLite binds JS numbers as REAL, which
      // would turn the bucket's integer division into a plain one.
      const bucketOf = sql`(episode - 1) / ${sql.lit(bucket)}`;
      const rows = await db
        .selectFrom('run_episodes')
        .select([sql<number>`${bucketOf}`.as('b'), sql<number | null>`avg(${reward})`.as('v')])
        .where('run_id', '=', runId)
        .where('episode', '<=', maxEpisode)
        .groupBy(bucketOf)
        .orderBy('b', 'asc')
        .execute();
      return rows.filter((r) => r.v !== null).map((r) => Number(r.v));
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
