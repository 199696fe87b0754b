import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createStorage, type Storage } from './database.js';
import { migrateToLatest } from './migrations.js';
import type { DatabaseSchema } from './schema.js';

export interface PostgresStorageOptions {
  /** Connections in this process's pool (default 10). */
  poolSize?: number;
  /** How long a query waits for a free connection or a new one to open (default 5,000 ms). */
  connectionTimeoutMs?: number;
  /** How long start waits for another process's migration to finish (default 60,000 ms). */
  migrationLockTimeoutMs?: number;
  /** Errors of idle connections (the server restarted, the network dropped); the pool replaces them. Default: ignored. */
  onError?: (error: Error) => void;
}

/**
 * One key for the whole deployment: every process that opens the database takes this
 * session-level advisory lock around its migrations, so concurrent starts apply them one
 * at a time and the later ones find nothing left to do. The server releases it when the
 * session ends, also when the process is killed mid-migration.
 */
export const MIGRATION_LOCK_KEY = 0x4852_4c46; // "HRLF"

const DEFAULTS = { poolSize: 10, connectionTimeoutMs: 5000, migrationLockTimeoutMs: 60_000 };

/**
 * Opens the scaled deployment's PostgreSQL database as Storage: applies the migrations
 * (under the advisory lock) and builds the same repositories as SQLite mode, plus report
 * bytes kept in the database so every process serves every report.
 */
export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<Storage> {
  const { poolSize, connectionTimeoutMs, migrationLockTimeoutMs } = { ...DEFAULTS, ...options };
  const onError = options.onError ?? (() => {});
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: connectionTimeoutMs });
  // Without a listener an idle connection's error (server restart) would crash the process.
  pool.on('error', onError);
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateUnderLock(db, url, { connectionTimeoutMs, migrationLockTimeoutMs, onError });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createStorage(db, { reportContentInDatabase: true });
}

async function migrateUnderLock(
  db: Kysely<DatabaseSchema>,
  url: string,
  opts: { connectionTimeoutMs: number; migrationLockTimeoutMs: number; onError: (error: Error) => void }
): Promise<void> {
  // A connection of its own holds the lock, so the migrator can use the pool freely.
  const lock = new pg.Client({ connectionString: url, connectionTimeoutMillis: opts.connectionTimeoutMs });
  lock.on('error', opts.onError);
  await lock.connect();
  try {
    await lock.query(`SET lock_timeout = ${Math.max(1, Math.floor(opts.migrationLockTimeoutMs))}`);
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    } catch (error) {
      throw new Error(`storage migration: another process held the migration lock for more than ${opts.migrationLockTimeoutMs} ms`, { cause: error });
    }
    await migrateToLatest(db);
  } finally {
    // Ending the session releases the lock.
    await lock.end().catch(() => {});
  }
}
