export { openStorage, createStorage, type Storage, type OpenStorageOptions } from './database.js';
export { ConflictError, isUniqueViolation } from './errors.js';
export { migrateToLatest, migrations, migrationProvider } from './migrations.js';
export type { RunRecord, RunPatch, RunListQuery, RunCheckpoint, RunRepository } from './runs.js';
export type { EpisodeRepository } from './episodes.js';
export type { EventStore } from './events.js';
export type { ModelRecord, ModelSummary, ModelRepository } from './models.js';
export type { ScenarioRecord, ScenarioRepository } from './scenarios.js';
export type * from './schema.js';
