import { Type, type Static } from '@sinclair/typebox';
import { EnvironmentConfigSchema, RewardConfigSchema, TrainingConfigSchema } from '../hrl/index.js';
import { ScenarioNameSchema, TimestampSchema } from './common.js';

export const ScenarioSchema = Type.Object({
  name: ScenarioNameSchema,
  description: Type.String({ maxLength: 500 }),
  environment: EnvironmentConfigSchema,
  training: TrainingConfigSchema,
  reward: RewardConfigSchema,
  created_at: TimestampSchema,
  updated_at: TimestampSchema
});
export type Scenario = Static<typeof ScenarioSchema>;

export const ScenarioParamsSchema = Type.Object({ name: ScenarioNameSchema });

export const ImportScenarioQuerySchema = Type.Object({ name: Type.Optional(ScenarioNameSchema) });

/** A scenario file in the original YAML format. */
export const ScenarioYamlBodySchema = Type.String({ minLength: 1, maxLength: 1_048_576 });
