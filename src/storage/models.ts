import type { Kysely, Selectable } from 'kysely';
import type { HrlModel } from '../hrl/index.js';
import { mapConflict } from './errors.js';
import type { DatabaseSchema, ModelsTable } from './schema.js';

export type ModelRecord = {
  name: string;
  scenario_name: string;
  run_id: string | null;
  created_at: string;
  episodes: number;
  /** UTF-8 byte length of the stored model JSON. */
  size_bytes: number;
  final_metrics: Record<string, unknown> | null;
  model: HrlModel;
};

export type ModelSummary = Omit<ModelRecord, 'model'>;

export interface ModelRepository {
  /** ConflictError if the name is taken; size_bytes is computed from the JSON. */
  insert(m: Omit<ModelRecord, 'size_bytes'>): Promise<void>;
  get(name: string): Promise<ModelRecord | undefined>;
  /** One model without loading its JSON. */
  summary(name: string): Promise<ModelSummary | undefined>;
  /** Newest first, without loading the model JSON. */
  list(): Promise<ModelSummary[]>;
  delete(name: string): Promise<boolean>;
  exists(name: string): Promise<boolean>;
}

const SUMMARY_COLUMNS = ['name', 'scenario_name', 'run_id', 'created_at', 'episodes', 'size_bytes', 'final_metrics'] as const;

type SummaryRow = Pick<Selectable<ModelsTable>, (typeof SUMMARY_COLUMNS)[number]>;

function summaryFromRow(row: SummaryRow): ModelSummary {
  return {
    name: row.name,
    scenario_name: row.scenario_name,
    run_id: row.run_id,
    created_at: row.created_at,
    episodes: Number(row.episodes),
    size_bytes: Number(row.size_bytes),
    final_metrics: row.final_metrics === null ? null : JSON.parse(row.final_metrics)
  };
}

export function createModelRepository(db: Kysely<DatabaseSchema>): ModelRepository {
  return {
    async insert(m) {
      const model = JSON.stringify(m.model);
      await mapConflict(
        () =>
          db
            .insertInto('models')
            .values({
              name: m.name,
              scenario_name: m.scenario_name,
              run_id: m.run_id,
              created_at: m.created_at,
              episodes: m.episodes,
              size_bytes: Buffer.byteLength(model, 'utf8'),
              final_metrics: m.final_metrics === null ? null : JSON.stringify(m.final_metrics),
              model
            })
            .execute(),
        `model ${m.name} already exists`
      );
    },

    async get(name) {
      const row = await db
        .selectFrom('models')
        .select([...SUMMARY_COLUMNS, 'model'])
        .where('name', '=', name)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      return { ...summaryFromRow(row), model: JSON.parse(row.model) as HrlModel };
    },

    async summary(name) {
      const row = await db.selectFrom('models').select(SUMMARY_COLUMNS).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : summaryFromRow(row);
    },

    async list() {
      const rows = await db
        .selectFrom('models')
        .select(SUMMARY_COLUMNS)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(summaryFromRow);
    },

    async delete(name) {
      const res = await db.deleteFrom('models').where('name', '=', name).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },

    async exists(name) {
      const row = await db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
      return row !== undefined;
    }
  };
}
