import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Run, RunStatus } from '../contracts/training.js';
import type { HrlModel, ScenarioConfig } from '../hrl/index.js';
import { ActiveRunConflictError, ConflictError, isUniqueViolation, ModelNameReservedError, violates } from './errors.js';
import type { DatabaseSchema, RunsTable } from './schema.js';
import { toCount } from './sql-util.js';

/** The wire `Run` plus what the training service needs to (re)start it. */
export type RunRecord = Run & {
  save_interval: number;
  eval_episodes: number;
  requested_model_name: string | null;
  config: ScenarioConfig;
};

export type RunPatch = Partial<Omit<RunRecord, 'run_id'>>;

export interface RunListQuery {
  scenario_name?: string;
  status?: RunStatus;
  limit: number;
  offset: number;
}

export interface RunCheckpoint {
  run_id: string;
  episode: number;
  model: HrlModel;
  updated_at: string;
}

export interface RunRepository {
  /**
   * ConflictError when the run_id exists. An active run (queued or running) is admitted by
   * the database: ActiveRunConflictError when its scenario already has one,
   * ModelNameReservedError when another active run requested the same model name.
   */
  create(run: RunRecord): Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** Newest first (created_at desc, then insertion order desc). `total` counts matches before limit/offset. */
  list(q: RunListQuery): Promise<{ runs: RunRecord[]; total: number }>;
  /** Only the given fields change; unknown run ids are ignored. Making a run active again obeys create's rules. */
  update(runId: string, patch: RunPatch): Promise<void>;
  /** Oldest first. */
  findByStatus(statuses: RunStatus[]): Promise<RunRecord[]>;
  latest(): Promise<RunRecord | undefined>;
  /** Upserts the run's single latest checkpoint. */
  saveCheckpoint(runId: string, episode: number, model: HrlModel, updatedAt?: string): Promise<void>;
  getCheckpoint(runId: string): Promise<RunCheckpoint | undefined>;
}

/** Statuses under the database's admission rules (migration 0006's partial unique indexes). */
const ACTIVE_STATUSES: RunStatus[] = ['queued', 'running'];

type RunRow = Selectable<RunsTable>;

function fromRow(row: RunRow): RunRecord {
  return {
    run_id: row.run_id,
    scenario_name: row.scenario_name,
    status: row.status as RunStatus,
    num_episodes: Number(row.num_episodes),
    episodes_completed: Number(row.episodes_completed),
    seed: Number(row.seed),
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    model_name: row.model_name,
    latest_progress: row.latest_progress === null ? null : JSON.parse(row.latest_progress),
    error: row.error,
    save_interval: Number(row.save_interval),
    eval_episodes: Number(row.eval_episodes),
    requested_model_name: row.requested_model_name,
    config: JSON.parse(row.config) as ScenarioConfig,
    ...(row.training_settings !== null && { training_settings: JSON.parse(row.training_settings) }),
    ...(row.baselines !== null && { baselines: JSON.parse(row.baselines) })
  };
}

function toRow(run: RunRecord): Insertable<RunsTable> {
  return {
    run_id: run.run_id,
    scenario_name: run.scenario_name,
    status: run.status,
    num_episodes: run.num_episodes,
    episodes_completed: run.episodes_completed,
    seed: run.seed,
    created_at: run.created_at,
    started_at: run.started_at,
    finished_at: run.finished_at,
    model_name: run.model_name,
    latest_progress: run.latest_progress === null ? null : JSON.stringify(run.latest_progress),
    error: run.error ?? null,
    save_interval: run.save_interval,
    eval_episodes: run.eval_episodes,
    requested_model_name: run.requested_model_name,
    config: JSON.stringify(run.config),
    training_settings: run.training_settings === undefined ? null : JSON.stringify(run.training_settings),
    baselines: run.baselines === undefined ? null : JSON.stringify(run.baselines)
  };
}

/** Maps a patch to column values; an explicit list so stray keys (or run_id) never reach SQL. */
function patchToRow(patch: RunPatch): Updateable<RunsTable> {
  const out: Updateable<RunsTable> = {};
  if (patch.scenario_name !== undefined) out.scenario_name = patch.scenario_name;
  if (patch.status !== undefined) out.status = patch.status;
  if (patch.num_episodes !== undefined) out.num_episodes = patch.num_episodes;
  if (patch.episodes_completed !== undefined) out.episodes_completed = patch.episodes_completed;
  if (patch.seed !== undefined) out.seed = patch.seed;
  if (patch.created_at !== undefined) out.created_at = patch.created_at;
  if (patch.started_at !== undefined) out.started_at = patch.started_at;
  if (patch.finished_at !== undefined) out.finished_at = patch.finished_at;
  if (patch.model_name !== undefined) out.model_name = patch.model_name;
  if (patch.latest_progress !== undefined) {
    out.latest_progress = patch.latest_progress === null ? null : JSON.stringify(patch.latest_progress);
  }
  if (patch.error !== undefined) out.error = patch.error;
  if (patch.save_interval !== undefined) out.save_interval = patch.save_interval;
  if (patch.eval_episodes !== undefined) out.eval_episodes = patch.eval_episodes;
  if (patch.requested_model_name !== undefined) out.requested_model_name = patch.requested_model_name;
  if (patch.config !== undefined) out.config = JSON.stringify(patch.config);
  if (patch.training_settings !== undefined) out.training_settings = JSON.stringify(patch.training_settings);
  if (patch.baselines !== undefined) out.baselines = JSON.stringify(patch.baselines);
  return out;
}

/** The admission rule a failed write of `run` broke, as its error; other errors as they are. */
async function admissionError(
  db: Kysely<DatabaseSchema>,
  error: unknown,
  run: Pick<RunRecord, 'run_id' | 'scenario_name' | 'requested_model_name'>
): Promise<unknown> {
  if (violates(error, 'runs_one_active_per_scenario', 'runs.scenario_name')) {
    // Named for the 409's message; the holder may have ended in the meantime.
    const holder = await db
      .selectFrom('runs')
      .select('run_id')
      .where('scenario_name', '=', run.scenario_name)
      .where('status', 'in', ACTIVE_STATUSES)
      .executeTakeFirst()
      .catch(() => undefined);
    return new ActiveRunConflictError(run.scenario_name, holder?.run_id, { cause: error });
  }
  if (violates(error, 'runs_one_active_per_model_name', 'runs.requested_model_name')) {
    return new ModelNameReservedError(run.requested_model_name ?? '', { cause: error });
  }
  if (isUniqueViolation(error)) return new ConflictError(`run ${run.run_id} already exists`, { cause: error });
  return error;
}

export function createRunRepository(db: Kysely<DatabaseSchema>): RunRepository {
  return {
    async create(run) {
      try {
        await db.insertInto('runs').values(toRow(run)).execute();
      } catch (error) {
        throw await admissionError(db, error, run);
      }
    },

    async get(runId) {
      const row = await db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },

    async list(q) {
      let base = db.selectFrom('runs');
      if (q.scenario_name !== undefined) base = base.where('scenario_name', '=', q.scenario_name);
      if (q.status !== undefined) base = base.where('status', '=', q.status);
      const [rows, count] = await Promise.all([
        base
          .selectAll()
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(q.limit)
          .offset(q.offset)
          .execute(),
        base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()
      ]);
      return { runs: rows.map(fromRow), total: toCount(count?.n) };
    },

    async update(runId, patch) {
      const values = patchToRow(patch);
      if (Object.keys(values).length === 0) return;
      try {
        await db.updateTable('runs').set(values).where('run_id', '=', runId).execute();
      } catch (error) {
        const row = await db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
        throw row ? await admissionError(db, error, { ...fromRow(row), ...patch }) : error;
      }
    },

    async findByStatus(statuses) {
      if (statuses.length === 0) return [];
      const rows = await db
        .selectFrom('runs')
        .selectAll()
        .where('status', 'in', statuses)
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(fromRow);
    },

    async latest() {
      const row = await db
        .selectFrom('runs')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },

    async saveCheckpoint(runId, episode, model, updatedAt = new Date().toISOString()) {
      const values = { episode, model: JSON.stringify(model), updated_at: updatedAt };
      await db
        .insertInto('run_checkpoints')
        .values({ run_id: runId, ...values })
        .onConflict((oc) => oc.column('run_id').doUpdateSet(values))
        .execute();
    },

    async getCheckpoint(runId) {
      const row = await db.selectFrom('run_checkpoints').selectAll().where('run_id', '=', runId).executeTakeFirst();
      if (row === undefined) return undefined;
      return { run_id: row.run_id, episode: Number(row.episode), model: JSON.parse(row.model) as HrlModel, updated_at: row.updated_at };
    }
  };
}
