/** A write collided with an existing unique key (a name already taken, a duplicate event seq, ...). */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
  readonly code = 'conflict';
}

/** A run was created (or made active) while its scenario already had an active (queued or running) run. */
export class ActiveRunConflictError extends ConflictError {
  override readonly name = 'ActiveRunConflictError';
  constructor(
    readonly scenarioName: string,
    /** The active run that holds the scenario, when it could still be read. */
    readonly activeRunId: string | undefined,
    options?: ErrorOptions
  ) {
    super(`scenario ${JSON.stringify(scenarioName)} already has an active run${activeRunId ? ` (${activeRunId})` : ''}`, options);
  }
}

/** A run was created requesting a model name that another active run has requested already. */
export class ModelNameReservedError extends ConflictError {
  override readonly name = 'ModelNameReservedError';
  constructor(
    readonly modelName: string,
    options?: ErrorOptions
  ) {
    super(`model name ${JSON.stringify(modelName)} is requested by another active run`, options);
  }
}

/** True for a unique/primary-key violation from better-sqlite3 or pg (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/**
 * Which unique key a violation hit, as `table.column[, table.column]`: pg names the
 * constraint or index (`constraint`), SQLite names its columns in the message, so a
 * caller passes both spellings.
 */
export function violates(err: unknown, index: string, sqliteColumns: string): boolean {
  if (!isUniqueViolation(err)) return false;
  const e = err as { constraint?: unknown; message?: unknown };
  if (typeof e.constraint === 'string') return e.constraint === index;
  return typeof e.message === 'string' && e.message.endsWith(`: ${sqliteColumns}`);
}

/** Runs `fn`, turning a unique violation into a ConflictError with `message`. */
export async function mapConflict<T>(fn: () => Promise<T>, message: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(message, { cause: err });
    throw err;
  }
}
