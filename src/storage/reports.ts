import type { Kysely, Selectable } from 'kysely';
import { mapConflict } from './errors.js';
import type { DatabaseSchema, ReportsTable } from './schema.js';
import { toCount } from './sql-util.js';

export type ReportRecord = {
  report_id: string;
  simulation_id: string;
  report_type: 'html' | 'pdf';
  title: string;
  generated_at: string;
  size_bytes: number;
  sections: string[];
  /** The download's file name; also the file under <dataDir>/reports/ when the bytes are not in the database. */
  file_name: string;
};

export interface ReportRepository {
  /**
   * Whether report bytes belong in this store (PostgreSQL: every process of the deployment
   * serves every report) or in files beside it (SQLite, one process).
   */
  readonly contentInDatabase: boolean;
  /** ConflictError if the id is taken. `content`, when given, is stored in the same row. */
  insert(r: ReportRecord, content?: Uint8Array): Promise<void>;
  /** The bytes stored with the report; undefined when there is no such report or it has none. */
  content(reportId: string): Promise<Buffer | undefined>;
  get(reportId: string): Promise<ReportRecord | undefined>;
  /** Newest first (then insertion order). */
  list(q: { limit: number; offset: number; simulation_id?: string }): Promise<{ reports: ReportRecord[]; total: number }>;
  /** Deletes the record and returns it (its file is the caller's), or undefined when there is none. */
  delete(reportId: string): Promise<ReportRecord | undefined>;
  /** Deletes the reports of these simulations beyond the `keep` newest of each (keep 0: all); returns them. */
  deleteBeyond(simulationIds: readonly string[], keep: number): Promise<ReportRecord[]>;
}

const fromRow = (row: Omit<Selectable<ReportsTable>, 'id' | 'content'>): ReportRecord => ({
  report_id: row.report_id,
  simulation_id: row.simulation_id,
  report_type: row.report_type as ReportRecord['report_type'],
  title: row.title,
  generated_at: row.generated_at,
  size_bytes: Number(row.size_bytes),
  sections: JSON.parse(row.sections) as string[],
  file_name: row.file_name
});

const COLUMNS = ['report_id', 'simulation_id', 'report_type', 'title', 'generated_at', 'size_bytes', 'sections', 'file_name'] as const;

/** Both drivers bind a Buffer as a blob without copying it. */
const toBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export function createReportRepository(db: Kysely<DatabaseSchema>, contentInDatabase = false): ReportRepository {
  return {
    contentInDatabase,

    async insert(r, content) {
      const row = { ...r, sections: JSON.stringify(r.sections), content: content === undefined ? null : toBuffer(content) };
      await mapConflict(() => db.insertInto('reports').values(row).execute(), `report ${r.report_id} already exists`);
    },

    async content(reportId) {
      const row = await db.selectFrom('reports').select('content').where('report_id', '=', reportId).executeTakeFirst();
      return row?.content ?? undefined;
    },

    async get(reportId) {
      const row = await db.selectFrom('reports').select(COLUMNS).where('report_id', '=', reportId).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },

    async delete(reportId) {
      const row = await db.deleteFrom('reports').where('report_id', '=', reportId).returning(COLUMNS).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },

    async deleteBeyond(simulationIds, keep) {
      const deleted: ReportRecord[] = [];
      for (const simulationId of simulationIds) {
        const old = await db
          .selectFrom('reports')
          .select(COLUMNS)
          .where('simulation_id', '=', simulationId)
          .orderBy('generated_at', 'desc')
          .orderBy('id', 'desc')
          .offset(keep)
          .limit(Number.MAX_SAFE_INTEGER)
          .execute();
        if (old.length === 0) continue;
        const ids = old.map((r) => r.report_id);
        for (let i = 0; i < ids.length; i += 500) await db.deleteFrom('reports').where('report_id', 'in', ids.slice(i, i + 500)).execute();
        deleted.push(...old.map(fromRow));
      }
      return deleted;
    },

    async list(q) {
      let base = db.selectFrom('reports');
      if (q.simulation_id !== undefined) base = base.where('simulation_id', '=', q.simulation_id);
      const rows = await base.select(COLUMNS).orderBy('generated_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute();
      const count = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      return { reports: rows.map(fromRow), total: toCount(count?.n) };
    }
  };
}
