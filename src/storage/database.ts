import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createEpisodeRepository, type EpisodeRepository } from './episodes.js';
import { createEventStore, type EventStore } from './events.js';
import { migrateToLatest } from './migrations.js';
import { createModelRepository, type ModelRepository } from './models.js';
import { createRunRepository, type RunRepository } from './runs.js';
import { createScenarioRepository, type ScenarioRepository } from './scenarios.js';
import type { DatabaseSchema } from './schema.js';
import { createSimulationRepository, type SimulationRepository } from './simulations.js';
import { createReportRepository, type ReportRepository } from './reports.js';

export { ConflictError } from './errors.js';

/**
 * Everything the service keeps. Consumers see repositories only, never a query builder,
 * so another database is another implementation of this interface.
 */
export interface Storage {
  runs: RunRepository;
  episodes: EpisodeRepository;
  events: EventStore;
  models: ModelRepository;
  scenarios: ScenarioRepository;
  simulations: SimulationRepository;
  reports: ReportRepository;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  /** SQLite file; its parent directory is created. ':memory:' for a throwaway database. */
  filename: string;
}

function isInMemory(filename: string): boolean {
  return filename === ':memory:' || filename === '' || filename.startsWith('file::memory:');
}

/** Opens the embedded SQLite database as Storage. */
export async function openStorage(opts: OpenStorageOptions): Promise<Storage> {
  return createStorage(await openSqliteDatabase(opts));
}

/**
 * Opens the SQLite file and brings it to the latest schema; only storage (and its own
 * tests, which check pragmas and migrations) handle the Kysely instance.
 * WAL lets REST reads proceed while training writes; synchronous=NORMAL is durable
 * across process crashes in WAL mode (only an OS crash can lose the last commits).
 */
export async function openSqliteDatabase(opts: OpenStorageOptions): Promise<Kysely<DatabaseSchema>> {
  if (!isInMemory(opts.filename)) mkdirSync(dirname(opts.filename), { recursive: true });
  const sqlite = new SqliteDatabase(opts.filename);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/**
 * Builds the repositories over an already-migrated Kysely instance (any dialect:
 * the scaled deployment passes a Postgres one after `migrateToLatest`).
 * `close()` destroys `db`.
 */
export function createStorage(db: Kysely<DatabaseSchema>): Storage {
  let closing: Promise<void> | undefined;
  return {
    runs: createRunRepository(db),
    episodes: createEpisodeRepository(db),
    events: createEventStore(db),
    models: createModelRepository(db),
    scenarios: createScenarioRepository(db),
    simulations: createSimulationRepository(db),
    reports: createReportRepository(db),
    close() {
      closing ??= db.destroy();
      return closing;
    }
  };
}
