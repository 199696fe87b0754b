import type { Kysely, Selectable } from 'kysely';
import type { ScenarioConfig } from '../hrl/index.js';
import { mapConflict } from './errors.js';
import type { DatabaseSchema, ScenariosTable } from './schema.js';

export type ScenarioRecord = {
  name: string;
  description: string;
  /** ISO 4217 code of the scenario's amounts; always set on read, absent on write means EUR. */
  currency?: string;
  config: ScenarioConfig;
  created_at: string;
  updated_at: string;
};

export interface ScenarioRepository {
  /** ConflictError if the name is taken. */
  insert(s: ScenarioRecord): Promise<void>;
  get(name: string): Promise<ScenarioRecord | undefined>;
  /** Newest first by updated_at (then insertion order). */
  list(): Promise<ScenarioRecord[]>;
  /**
   * Full replace, including a rename, as one statement (so there is no moment where
   * neither name exists). ConflictError if the new name belongs to another scenario;
   * false if `name` does not exist.
   */
  update(name: string, s: ScenarioRecord): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

function fromRow(row: Pick<Selectable<ScenariosTable>, 'name' | 'description' | 'currency' | 'config' | 'created_at' | 'updated_at'>): ScenarioRecord {
  return {
    name: row.name,
    description: row.description,
    currency: row.currency,
    config: JSON.parse(row.config) as ScenarioConfig,
    created_at: row.created_at,
    updated_at: row.updated_at
  };
}

function toRow(s: ScenarioRecord) {
  return {
    name: s.name,
    description: s.description,
    ...(s.currency !== undefined && { currency: s.currency }),
    config: JSON.stringify(s.config),
    created_at: s.created_at,
    updated_at: s.updated_at
  };
}

const COLUMNS = ['name', 'description', 'currency', 'config', 'created_at', 'updated_at'] as const;

export function createScenarioRepository(db: Kysely<DatabaseSchema>): ScenarioRepository {
  return {
    async insert(s) {
      await mapConflict(() => db.insertInto('scenarios').values(toRow(s)).execute(), `scenario ${s.name} already exists`);
    },

    async get(name) {
      const row = await db.selectFrom('scenarios').select(COLUMNS).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },

    async list() {
      const rows = await db
        .selectFrom('scenarios')
        .select(COLUMNS)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(fromRow);
    },

    async update(name, s) {
      // The row keeps its surrogate id, so a rename is a single UPDATE of the unique name column.
      const res = await mapConflict(
        () => db.updateTable('scenarios').set(toRow(s)).where('name', '=', name).executeTakeFirst(),
        `scenario ${s.name} already exists`
      );
      return res.numUpdatedRows > 0n;
    },

    async delete(name) {
      const res = await db.deleteFrom('scenarios').where('name', '=', name).executeTakeFirst();
      return res.numDeletedRows > 0n;
    }
  };
}
