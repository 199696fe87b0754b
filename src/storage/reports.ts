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
  /** File name under <dataDir>/reports/. */
  file_name: string;
};

export interface ReportRepository {
  /** ConflictError if the id is taken. */
  insert(r: ReportRecord): Promise<void>;
  get(reportId: string): Promise<ReportRecord | undefined>;
  /** Newest first (then insertion order). */
  list(q: { limit: number; offset: number; simulation_id?: string }): Promise<{ reports: ReportRecord[]; total: number }>;
  /** Deletes the record and returns it (its file is the caller's), or undefined when there is none. */
  delete(reportId: string): Promise<ReportRecord | undefined>;
  /** Deletes the reports of these simulations beyond the `keep` newest of each (keep 0: all); returns them. */
  deleteBeyond(simulationIds: readonly string[], keep: number): Promise<ReportRecord[]>;
}

const fromRow = (row: Omit<Selectable<ReportsTable>, 'id'>): ReportRecord => ({
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

export function createReportRepository(db: Kysely<DatabaseSchema>): ReportRepository {
  return {
    async insert(r) {
      await mapConflict(
        () => db.insertInto('reports').values({ ...r, sections: JSON.stringify(r.sections) }).execute(),
        `report ${r.report_id} already exists`
      );
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
