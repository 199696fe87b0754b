// What every EventBus implementation does the same way: build and validate the envelope
// of a published event, and store events while the database is briefly busy.
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import {
  TrainingCompletedEventSchema,
  TrainingErrorEventSchema,
  TrainingProgressEventSchema,
  TrainingStartedEventSchema,
  TrainingStoppedEventSchema,
  type RunEvent,
  type RunEventType
} from '../contracts/events.js';
import { InvalidEventError, type BusMessage, type EventStore, type PublishRequest } from './event-bus.js';

// Compiled once at load: validation is a per-event cost, never a per-client one.
const checkers: Record<RunEventType, TypeCheck<any>> = {
  training_started: TypeCompiler.Compile(TrainingStartedEventSchema),
  training_progress: TypeCompiler.Compile(TrainingProgressEventSchema),
  training_completed: TypeCompiler.Compile(TrainingCompletedEventSchema),
  training_stopped: TypeCompiler.Compile(TrainingStoppedEventSchema),
  training_error: TypeCompiler.Compile(TrainingErrorEventSchema)
};

/** The envelope for `request` numbered `seq`, validated and serialized once. Throws InvalidEventError. */
export function buildMessage(request: PublishRequest, seq: number): BusMessage {
  const { run_id, scenario_name, type, data } = request;
  const event = { type, ts: new Date().toISOString(), run_id, scenario_name, seq, data } as RunEvent;
  const checker = checkers[type];
  if (!checker) throw new InvalidEventError(`unknown run event type ${JSON.stringify(type)}`);
  if (!checker.Check(event)) {
    const first = checker.Errors(event).First();
    throw new InvalidEventError(`invalid ${type} event: ${first ? `${first.path} ${first.message}` : 'schema mismatch'}`);
  }
  return { event, scenario_name, frame: Buffer.from(JSON.stringify(event)) };
}

export const DEFAULT_STORE_RETRY_DELAYS_MS = [50, 100, 200, 400, 800, 1600, 3200];

/** SQLite's busy/locked errors (and Postgres' serialization failures) are worth retrying. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(SQLITE_BUSY|SQLITE_LOCKED|40001|40P01)/.test(code);
}

/**
 * Stores a batch, retrying while the database is busy or locked: later publishes wait
 * behind it, so order is kept and nothing is delivered that was not stored.
 */
export async function appendWithRetry(
  store: EventStore,
  rows: Array<{ event: RunEvent; scenario_name: string }>,
  retryDelaysMs: number[]
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.appendEvents(rows);
    } catch (error) {
      if (attempt >= retryDelaysMs.length || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[attempt]));
    }
  }
}
