import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely table types. Timestamps are ISO-8601 UTC strings; JSON columns are TEXT
 * holding JSON (parsed by the repositories), so the same tables work on SQLite
 * and Postgres.
 */

/** Integer columns that Postgres returns as strings for bigint; repositories coerce with Number(). */
type BigIntColumn = ColumnType<number, number, number>;

export interface RunsTable {
  /** Insertion order: the deterministic tie-break for runs created in the same millisecond. */
  id: Generated<number>;
  run_id: string;
  scenario_name: string;
  status: string;
  num_episodes: number;
  episodes_completed: number;
  seed: BigIntColumn;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  model_name: string | null;
  /** JSON of TrainingProgressData, or NULL. */
  latest_progress: string | null;
  error: string | null;
  save_interval: number;
  eval_episodes: number;
  requested_model_name: string | null;
  /** JSON of ScenarioConfig. */
  config: string;
  /** JSON of the training settings in use (TrainingSettings), NULL until the run started; absent before migration 0004's rows. */
  training_settings: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON of the completed run's Baselines, or NULL. */
  baselines: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RunEpisodesTable {
  run_id: string;
  episode: number;
  /** JSON of EpisodeMetrics, exactly as appended. */
  metrics: string;
}

export interface RunEventsTable {
  run_id: string;
  seq: number;
  type: string;
  ts: string;
  scenario_name: string;
  /** JSON of the full envelope, exactly as the socket sends it. */
  envelope: string;
}

export interface RunCheckpointsTable {
  run_id: string;
  episode: number;
  /** JSON of HrlModel. */
  model: string;
  updated_at: string;
}

export interface ModelsTable {
  id: Generated<number>;
  name: string;
  scenario_name: string;
  run_id: string | null;
  created_at: string;
  episodes: number;
  size_bytes: number;
  /** JSON object or NULL. */
  final_metrics: string | null;
  /** JSON of HrlModel. */
  model: string;
}

export interface ScenariosTable {
  id: Generated<number>;
  name: string;
  description: string;
  /** ISO 4217 code; the database fills EUR for rows written without one. */
  currency: ColumnType<string, string | undefined, string>;
  /** JSON of ScenarioConfig. */
  config: string;
  created_at: string;
  updated_at: string;
}

export interface SimulationsTable {
  id: Generated<number>;
  simulation_id: string;
  scenario_name: string;
  model_name: string;
  num_episodes: number;
  seed: BigIntColumn;
  created_at: string;
  total_wealth_mean: number;
  duration_mean: number;
  /** The scenario's description at simulation time. */
  description: string;
  /** JSON of the ScenarioConfig simulated. */
  config: string;
  /** JSON of the full SimulationResult. */
  result: string;
}

export interface ReportsTable {
  id: Generated<number>;
  report_id: string;
  simulation_id: string;
  report_type: string;
  title: string;
  generated_at: string;
  size_bytes: number;
  /** JSON array of section names. */
  sections: string;
  /** The download's file name (and the file under <dataDir>/reports/ when `content` is NULL). */
  file_name: string;
  /** The report's bytes when the store keeps them (PostgreSQL), else NULL. */
  content: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
}

/** A single row (id 1) that every health probe rewrites. */
export interface HealthProbeTable {
  id: number;
  checked_at: string;
}

export interface DatabaseSchema {
  runs: RunsTable;
  run_episodes: RunEpisodesTable;
  run_events: RunEventsTable;
  run_checkpoints: RunCheckpointsTable;
  models: ModelsTable;
  scenarios: ScenariosTable;
  simulations: SimulationsTable;
  reports: ReportsTable;
  health_probe: HealthProbeTable;
}
