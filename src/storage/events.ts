import type { Kysely } from 'kysely';
import type { RunEvent } from '../contracts/events.js';
import { mapConflict } from './errors.js';
import type { DatabaseSchema } from './schema.js';
import { insertChunked } from './sql-util.js';

/** Persistent run-event history; consumed by the event bus. */
export interface EventStore {
  /** One transaction; (run_id, seq) is the primary key, so a duplicate seq is an error (ConflictError). */
  appendEvents(rows: Array<{ event: RunEvent; scenario_name: string }>): Promise<void>;
  /** seq > afterSeq, ascending, at most `limit`; the envelope objects exactly as appended. */
  readEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]>;
  /** 0 when the run has no events. */
  lastSeq(runId: string): Promise<number>;
}

const EVENT_COLUMNS = 6;

export function createEventStore(db: Kysely<DatabaseSchema>): EventStore {
  return {
    async appendEvents(rows) {
      if (rows.length === 0) return;
      const values = rows.map(({ event, scenario_name }) => ({
        run_id: event.run_id,
        seq: event.seq,
        type: event.type,
        ts: event.ts,
        scenario_name,
        envelope: JSON.stringify(event)
      }));
      await mapConflict(
        () => insertChunked(db, values, EVENT_COLUMNS, (exec, chunk) => exec.insertInto('run_events').values(chunk).execute()),
        'duplicate run event seq'
      );
    },

    async readEvents(runId, afterSeq, limit) {
      if (limit <= 0) return [];
      const rows = await db
        .selectFrom('run_events')
        .select('envelope')
        .where('run_id', '=', runId)
        .where('seq', '>', afterSeq)
        .orderBy('seq', 'asc')
        .limit(limit)
        .execute();
      return rows.map((r) => JSON.parse(r.envelope) as RunEvent);
    },

    async lastSeq(runId) {
      const row = await db
        .selectFrom('run_events')
        .select((eb) => eb.fn.max('seq').as('last'))
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return row?.last == null ? 0 : Number(row.last);
    }
  };
}
