import { Type, type Static } from '@sinclair/typebox';
import { EnvironmentConfigSchema, RewardConfigSchema, TrainingConfigSchema } from '../hrl/index.js';
import { closedObjects, Nullable, RunIdSchema, ScenarioNameSchema, TimestampSchema } from './common.js';
import { FinalMetricsSchema, TrainingSettingsSchema } from './events.js';
import { ModelNameSchema } from './training.js';

export const ModelParamsSchema = Type.Object({ name: ModelNameSchema });

const nullableNumber = (description: string) => Nullable(Type.Number({ description }));

/** The original's model summary; the figures come from the training's final metrics (null for an imported model without them). */
export const ModelSummarySchema = Type.Object({
  name: ModelNameSchema,
  scenario_name: ScenarioNameSchema,
  run_id: Nullable(RunIdSchema),
  size_mb: Type.Number({ minimum: 0, description: 'stored model JSON in MiB' }),
  trained_at: TimestampSchema,
  episodes: Type.Integer({ minimum: 0 }),
  final_reward: nullableNumber('reward of the last training episode'),
  avg_reward: nullableNumber('mean reward of the last min(10, n) training episodes'),
  max_reward: nullableNumber('best training episode reward'),
  final_duration: nullableNumber('mean months of the last min(10, n) training episodes'),
  final_cash: nullableNumber('mean final cash of the last min(10, n) training episodes'),
  final_invested: nullableNumber('mean invested of the last min(10, n) training episodes')
});
export type ModelSummary = Static<typeof ModelSummarySchema>;

export const ModelListResponseSchema = Type.Object({
  models: Type.Array(ModelSummarySchema),
  total: Type.Integer({ minimum: 0 })
});

export const MetricSummarySchema = Type.Object({
  count: Type.Integer({ minimum: 0 }),
  first: Type.Number(),
  last: Type.Number(),
  mean: Type.Number(),
  min: Type.Number(),
  max: Type.Number()
});
export type MetricSummary = Static<typeof MetricSummarySchema>;

export const ModelDetailSchema = Type.Composite([
  ModelSummarySchema,
  Type.Object({
    environment: EnvironmentConfigSchema,
    training: TrainingConfigSchema,
    reward: RewardConfigSchema,
    seed: Type.Number({ description: 'training seed' }),
    training_history: Type.Record(Type.String(), MetricSummarySchema, {
      description: "per episode metric of the run's history: {count, first, last, mean, min, max}; empty when the model has no stored history"
    }),
    final_metrics: Nullable(FinalMetricsSchema),
    training_settings: Type.Optional(TrainingSettingsSchema)
  })
]);
export type ModelDetail = Static<typeof ModelDetailSchema>;

/** GET /api/models/:name/export and the body of POST /api/models/import. */
export const ModelExportSchema = Type.Object(
  {
    format: Type.Literal('hrl-finance-model-export'),
    version: Type.Literal(1),
    name: ModelNameSchema,
    scenario_name: ScenarioNameSchema,
    trained_at: TimestampSchema,
    episodes: Type.Integer({ minimum: 0 }),
    final_metrics: Nullable(FinalMetricsSchema),
    model: Type.Unknown({ description: 'weights and config (format hrl-finance-model, version 1), checked on import' })
  },
  { additionalProperties: false }
);
export type ModelExport = Static<typeof ModelExportSchema>;

/** A model file is ~50 KB; the import body may be at most this many bytes. */
export const MAX_MODEL_IMPORT_BYTES = 1024 * 1024;

/**
 * The import body: an export, closed at every level so unknown keys (in final_metrics and
 * below) are refused rather than stored (Nullable lists null first, so ajv's coercion keeps nulls).
 */
export const ImportModelBodySchema = Type.Object(
  { ...ModelExportSchema.properties, final_metrics: Nullable(closedObjects(FinalMetricsSchema)) },
  { additionalProperties: false }
);

export const ImportModelQuerySchema = Type.Object({
  name: Type.Optional(ModelNameSchema)
});
