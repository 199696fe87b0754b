import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * SQLite allows at most 32766 bound parameters per statement (Postgres 65535);
 * multi-row inserts are split so each statement stays under the smaller bound.
 */
export const MAX_BOUND_PARAMS = 32766;

export function chunkRows<T>(rows: readonly T[], columnsPerRow: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_BOUND_PARAMS / columnsPerRow));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/** Counts come back as bigint strings from pg and as numbers from SQLite. */
export function toCount(value: unknown): number {
  return value === undefined || value === null ? 0 : Number(value);
}

/**
 * Inserts `rows` with as few multi-row statements as the parameter bound allows.
 * One statement is atomic by itself; several chunks share one transaction, so a
 * failure in any chunk leaves nothing behind.
 */
export async function insertChunked<R, DB>(
  db: Kysely<DB>,
  rows: readonly R[],
  columnsPerRow: number,
  insert: (exec: Kysely<DB>, chunk: R[]) => Promise<unknown>
): Promise<void> {
  if (rows.length === 0) return;
  const chunks = chunkRows(rows, columnsPerRow);
  if (chunks.length === 1) {
    await insert(db, chunks[0]);
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (const chunk of chunks) await insert(trx, chunk);
  });
}

/**
 * A number inside a JSON text column, as SQL: json_extract on SQLite, ->> on PostgreSQL.
 * JSON has no NaN or Infinity (JSON.stringify writes null), so non-finite values read as NULL.
 */
export function jsonNumber<DB>(db: Kysely<DB>, column: string, key: string): RawBuilder<number | null> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return sql<number | null>`(${sql.ref(column)}::jsonb ->> ${key})::float8`;
  return sql<number | null>`json_extract(${sql.ref(column)}, ${`$.${key}`})`;
}
