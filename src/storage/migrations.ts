import { Migrator, PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Migrations live in code (not files) so nothing is read from disk at run time and
 * the build output needs no extra assets. Append new entries; never edit applied ones.
 * Names sort lexicographically, which is the order Kysely applies them in.
 */

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const initial: Migration = {
  async up(db: Kysely<any>) {
    const pg = isPostgres(db);
    // Auto-increment primary key: `serial` on Postgres, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite.
    const idType = pg ? 'serial' : 'integer';
    const idColumn = (col: any) => (pg ? col.primaryKey() : col.primaryKey().autoIncrement());

    await db.schema
      .createTable('runs')
      .addColumn('id', idType, idColumn)
      .addColumn('run_id', 'text', (c) => c.notNull().unique())
      .addColumn('scenario_name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('num_episodes', 'integer', (c) => c.notNull())
      .addColumn('episodes_completed', 'integer', (c) => c.notNull().defaultTo(0))
      // seeds go up to 2^32-1, beyond Postgres' 32-bit integer
      .addColumn('seed', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('model_name', 'text')
      .addColumn('latest_progress', 'text')
      .addColumn('error', 'text')
      .addColumn('save_interval', 'integer', (c) => c.notNull())
      .addColumn('eval_episodes', 'integer', (c) => c.notNull())
      .addColumn('requested_model_name', 'text')
      .addColumn('config', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('runs_created_idx').on('runs').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('runs_scenario_created_idx').on('runs').columns(['scenario_name', 'created_at', 'id']).execute();
    await db.schema.createIndex('runs_status_idx').on('runs').columns(['status', 'created_at', 'id']).execute();

    await db.schema
      .createTable('run_episodes')
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id').onDelete('cascade'))
      .addColumn('episode', 'integer', (c) => c.notNull())
      .addColumn('metrics', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('run_episodes_pk', ['run_id', 'episode'])
      .execute();

    // No foreign key to runs: the event store is used by the bus on its own (and its
    // contract tests), and events are immutable history keyed by (run_id, seq).
    await db.schema
      .createTable('run_events')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('ts', 'text', (c) => c.notNull())
      .addColumn('scenario_name', 'text', (c) => c.notNull())
      .addColumn('envelope', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
      .execute();

    await db.schema
      .createTable('run_checkpoints')
      .addColumn('run_id', 'text', (c) => c.primaryKey().references('runs.run_id').onDelete('cascade'))
      .addColumn('episode', 'integer', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('models')
      .addColumn('id', idType, idColumn)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('scenario_name', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('episodes', 'integer', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('final_metrics', 'text')
      .addColumn('model', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('models_created_idx').on('models').columns(['created_at', 'id']).execute();

    await db.schema
      .createTable('scenarios')
      .addColumn('id', idType, idColumn)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('scenarios_updated_idx').on('scenarios').columns(['updated_at', 'id']).execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['scenarios', 'models', 'run_checkpoints', 'run_events', 'run_episodes', 'runs']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  }
};

/** Simulation results (issue 4) and generated reports' metadata; report files live under <dataDir>/reports/. */
const simulationsAndReports: Migration = {
  async up(db: Kysely<any>) {
    const pg = isPostgres(db);
    const idType = pg ? 'serial' : 'integer';
    const idColumn = (col: any) => (pg ? col.primaryKey() : col.primaryKey().autoIncrement());

    await db.schema
      .createTable('simulations')
      .addColumn('id', idType, idColumn)
      .addColumn('simulation_id', 'text', (c) => c.notNull().unique())
      .addColumn('scenario_name', 'text', (c) => c.notNull())
      .addColumn('model_name', 'text', (c) => c.notNull())
      .addColumn('num_episodes', 'integer', (c) => c.notNull())
      .addColumn('seed', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('total_wealth_mean', 'double precision', (c) => c.notNull())
      .addColumn('duration_mean', 'double precision', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('simulations_created_idx').on('simulations').columns(['created_at', 'id']).execute();

    await db.schema
      .createTable('reports')
      .addColumn('id', idType, idColumn)
      .addColumn('report_id', 'text', (c) => c.notNull().unique())
      .addColumn('simulation_id', 'text', (c) => c.notNull())
      .addColumn('report_type', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('generated_at', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('sections', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('reports_generated_idx').on('reports').columns(['generated_at', 'id']).execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['reports', 'simulations']) await db.schema.dropTable(table).ifExists().execute();
  }
};

/** A scenario's currency (ISO 4217); rows from before it existed are in euros, the original's unit. */
const scenarioCurrency: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('scenarios').addColumn('currency', 'text', (c) => c.notNull().defaultTo('EUR')).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('scenarios').dropColumn('currency').execute();
  }
};

/** The training settings a run used and a completed run's baselines (learning issue), as JSON; NULL for older rows. */
const runLearning: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('runs').addColumn('training_settings', 'text').execute();
    await db.schema.alterTable('runs').addColumn('baselines', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('runs').dropColumn('baselines').execute();
    await db.schema.alterTable('runs').dropColumn('training_settings').execute();
  }
};

/** One row the health probe rewrites, so `/health` finds a database that can no longer be written (full disk, read-only). */
const healthProbe: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('health_probe').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('checked_at', 'text', (c) => c.notNull()).execute();
    await db.insertInto('health_probe').values({ id: 1, checked_at: '' }).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('health_probe').ifExists().execute();
  }
};

/** Runs that hold a scenario (and their requested model name) until they end (runs.ts ACTIVE_STATUSES). */
const ACTIVE = sql.raw(`status IN ('queued', 'running')`);

/**
 * The admission rules as database constraints, so they hold across processes: one active
 * run per scenario, and one active run per requested model name (the name it reserves
 * until its model is saved; models.name is unique already). A database written before the
 * rules could only hold duplicates after a crash mid-start: the older ones become
 * `interrupted`, as the next start would have marked them anyway.
 */
const admissionRules: Migration = {
  async up(db: Kysely<any>) {
    const now = new Date().toISOString();
    await sql`
      UPDATE runs SET status = 'interrupted', finished_at = ${now},
        error = 'run interrupted: another run of its scenario was active when one active run per scenario became a database rule'
      WHERE ${ACTIVE} AND EXISTS (
        SELECT 1 FROM runs newer WHERE newer.id > runs.id AND newer.status IN ('queued', 'running')
          AND (newer.scenario_name = runs.scenario_name OR newer.requested_model_name = runs.requested_model_name)
      )`.execute(db);
    await sql`CREATE UNIQUE INDEX runs_one_active_per_scenario ON runs (scenario_name) WHERE ${ACTIVE}`.execute(db);
    await sql`CREATE UNIQUE INDEX runs_one_active_per_model_name ON runs (requested_model_name) WHERE ${ACTIVE} AND requested_model_name IS NOT NULL`.execute(db);
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('runs_one_active_per_model_name').ifExists().execute();
    await db.schema.dropIndex('runs_one_active_per_scenario').ifExists().execute();
  }
};

/** A report's bytes in its row, for stores that keep them (PostgreSQL: any process serves any report); NULL when they are a file. */
const reportContent: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('reports').addColumn('content', isPostgres(db) ? 'bytea' : 'blob').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('reports').dropColumn('content').execute();
  }
};

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_simulations_reports': simulationsAndReports,
  '0003_scenario_currency': scenarioCurrency,
  '0004_run_learning': runLearning,
  '0005_health_probe': healthProbe,
  '0006_admission_rules': admissionRules,
  '0007_report_content': reportContent
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations
};

/** Brings the schema to the latest migration; throws (with the failing migration's name) on error. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = error instanceof Error ? error : new Error(String(error));
    throw new Error(`storage migration ${failed ?? '(unknown)'} failed: ${cause.message}`, { cause });
  }
}

