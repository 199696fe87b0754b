import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDialectConfig,
  type TransactionSettings
} from 'kysely';

/**
 * Waits between attempts of a statement that found the database busy or locked
 * (another process writing, a backup, an external tool): about 6 s in all, as the
 * busy_timeout it replaces, but spent on timers instead of blocking the event loop.
 */
export const SQLITE_RETRY_DELAYS_MS: readonly number[] = [5, 10, 20, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000];

/** SQLITE_BUSY, SQLITE_LOCKED and their extended codes: the same statement may succeed later. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class RetryingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    readonly delays: readonly number[]
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.inner.executeQuery<R>(query);
      } catch (error) {
        if (attempt >= this.delays.length || !isSqliteBusy(error)) throw error;
        await sleep(this.delays[attempt]!);
      }
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * better-sqlite3 is synchronous: with a busy_timeout, a locked database blocks the whole
 * event loop for up to that long. This driver runs with busy_timeout 0 and retries a
 * busy statement on a timer instead, for every query of every repository. Transactions
 * begin IMMEDIATE, so the write lock is taken (and waited for) at BEGIN, never midway,
 * where a retry could not help.
 */
class RetryingDriver implements Driver {
  readonly #connections = new WeakMap<DatabaseConnection, RetryingConnection>();

  constructor(
    readonly inner: Driver,
    readonly delays: readonly number[]
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.inner.acquireConnection();
    let wrapped = this.#connections.get(inner);
    if (!wrapped) this.#connections.set(inner, (wrapped = new RetryingConnection(inner, this.delays)));
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection((connection as RetryingConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Kysely's SQLite dialect with statements retried on a timer while the database is busy. */
export class RetryingSqliteDialect extends SqliteDialect {
  readonly #delays: readonly number[];

  constructor(config: SqliteDialectConfig, delays: readonly number[] = SQLITE_RETRY_DELAYS_MS) {
    super(config);
    this.#delays = delays;
  }

  override createDriver(): Driver {
    return new RetryingDriver(super.createDriver(), this.#delays);
  }
}
