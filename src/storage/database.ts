import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely } from 'kysely';
import { createEpisodeRepository, type EpisodeRepository } from './episodes.js';
import { createEventStore, type EventStore } from './events.js';
import { migrateToLatest } from './migrations.js';
import { createModelRepository, type ModelRepository } from './models.js';
import { createRunRepository, type RunRepository } from './runs.js';
import { createScenarioRepository, type ScenarioRepository } from './scenarios.js';
import type { DatabaseSchema } from './schema.js';
import { createSimulationRepository, type SimulationRepository } from './simulations.js';
import { createReportRepository, type ReportRepository } from './reports.js';
import { RetryingSqliteDialect, SQLITE_RETRY_DELAYS_MS } from './retrying-sqlite.js';

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
  /**
   * Whether the database can be read and written now: a read, then a write of the one
   * row of `health_probe`. Answers within `timeoutMs`; a database still busy then is
   * reported unhealthy (the probe finishes in the background, one at a time).
   */
  health(timeoutMs?: number): Promise<StorageHealth>;
  /** Idempotent. */
  close(): Promise<void>;
}

export type StorageHealth = { ok: true } | { ok: false; reason: string };

/** How long a health probe may take before the database counts as unavailable. */
export const HEALTH_TIMEOUT_MS = 1000;

export interface OpenStorageOptions {
  /** SQLite file; its parent directory is created. ':memory:' for a throwaway database. */
  filename: string;
  /** Waits between attempts of a statement while the database is busy (tests shorten them). */
  retryDelaysMs?: readonly number[];
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
    // Never wait synchronously on a lock: the driver retries busy statements on timers.
    sqlite.pragma('busy_timeout = 0');
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = new Kysely<DatabaseSchema>({
    dialect: new RetryingSqliteDialect({ database: sqlite }, opts.retryDelaysMs ?? SQLITE_RETRY_DELAYS_MS)
  });
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

export interface CreateStorageOptions {
  /** Keep report bytes in the database (a deployment of several processes) rather than in files. */
  reportContentInDatabase?: boolean;
}

/**
 * Builds the repositories over an already-migrated Kysely instance (any dialect:
 * `openPostgresStorage` passes a Postgres one after migrating it).
 * `close()` destroys `db`.
 */
export function createStorage(db: Kysely<DatabaseSchema>, options: CreateStorageOptions = {}): Storage {
  let closing: Promise<void> | undefined;
  let probe: Promise<StorageHealth> | null = null;
  const runProbe = async (): Promise<StorageHealth> => {
    try {
      await db.selectFrom('runs').select('run_id').limit(1).execute();
    } catch (error) {
      return { ok: false, reason: `database cannot be read: ${describe(error)}` };
    }
    try {
      // A real write of one small row (it takes the write lock, as every write does): a
      // transaction that changes nothing passes on a full disk, as SQLite writes no page.
      // One statement, not BEGIN…COMMIT: SQLite undoes a transaction that hit a full disk
      // itself, and the ROLLBACK after it would fail and hide the reason.
      await db.updateTable('health_probe').set({ checked_at: new Date().toISOString() }).where('id', '=', 1).execute();
    } catch (error) {
      return { ok: false, reason: `database cannot be written: ${describe(error)}` };
    }
    return { ok: true };
  };
  return {
    async health(timeoutMs = HEALTH_TIMEOUT_MS) {
      const running = (probe ??= runProbe().finally(() => (probe = null)));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<StorageHealth>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, reason: `database did not answer a read and a write within ${timeoutMs} ms (locked or busy)` }),
          timeoutMs
        );
      });
      try {
        return await Promise.race([running, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    runs: createRunRepository(db),
    episodes: createEpisodeRepository(db),
    events: createEventStore(db),
    models: createModelRepository(db),
    scenarios: createScenarioRepository(db),
    simulations: createSimulationRepository(db),
    reports: createReportRepository(db, options.reportContentInDatabase ?? false),
    close() {
      closing ??= db.destroy();
      return closing;
    }
  };
}

/** A database error for the health reason: its code and message, never a file path. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
