import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';

/** The lock file inside the data directory. */
export const LOCK_FILE = 'hrl-finance.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export interface DataDirLock {
  readonly file: string;
  /** Idempotent. */
  release(): void;
}

/**
 * Takes the data directory for this process: SQLite mode is single-process. The lock is
 * SQLite's own (POSIX advisory locks on an open file, held here in exclusive locking mode
 * after one write), so the OS releases it when the process dies, SIGKILL included: a
 * restart right after a crash is never refused by a stale lock, unlike a pid file.
 * Throws DataDirLockedError when another process (or another app in this one) holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const db = new SqliteDatabase(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the EXCLUSIVE lock; exclusive locking mode keeps it until close.
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(process.pid, new Date().toISOString());
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new DataDirLockedError(
        `the data directory ${dataDir} (HRL_DATA_DIR) is in use by another hrl-finance process (lock ${file}); SQLite mode is single-process: stop the other one, give this one another HRL_DATA_DIR, or scale out with HRL_DATABASE_URL and HRL_REDIS_URL`
      );
    }
    throw error;
  }
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      db.close();
    }
  };
}
