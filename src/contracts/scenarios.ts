import { Type, type Static, type TObject, type TPartial } from '@sinclair/typebox';
import { DEFAULT_CURRENCY, EnvironmentConfigSchema, MAX_REWARD_WEIGHT, RewardConfigSchema, TrainingConfigSchema } from '../hrl/index.js';
import { ScenarioNameSchema, TimestampSchema } from './common.js';

/** ISO 4217 code of every amount in the scenario (the service also checks the code is a known currency). */
export const CurrencySchema = Type.String({
  pattern: '^[A-Z]{3}$',
  default: DEFAULT_CURRENCY,
  examples: [DEFAULT_CURRENCY],
  description: `ISO 4217 currency code of the scenario's amounts, e.g. EUR, USD, GBP; default ${DEFAULT_CURRENCY}`
});

export const ScenarioSchema = Type.Object({
  name: ScenarioNameSchema,
  description: Type.String({ maxLength: 500 }),
  currency: CurrencySchema,
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

// ---- REST bodies of the scenario routes (issue 4) -------------------------------------

/**
 * A config block with every field optional and without `default`s: the service fills
 * the defaults (normalizeScenarioConfig), so validation never invents a value that
 * could clash with another spelling (`lambda_`).
 */
function optionalBlock<T extends TObject>(schema: T): TPartial<T> {
  const partial = Type.Partial(schema, { additionalProperties: false });
  const props = partial.properties as unknown as Record<string, Record<string | symbol, unknown>>;
  for (const [key, prop] of Object.entries(props)) {
    // Spread keeps TypeBox's symbol markers (Kind, Optional); only `default` goes.
    const { default: _default, ...rest } = prop;
    props[key] = rest;
  }
  return partial;
}

const EnvironmentBodySchema = optionalBlock(EnvironmentConfigSchema);
const TrainingBodySchema = optionalBlock(TrainingConfigSchema);
/** `lambda_` (the original files' spelling) is accepted for `lambda`. */
const RewardBodySchema = optionalBlock(
  Type.Composite([RewardConfigSchema, Type.Object({ lambda_: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT }) })])
);

export const ScenarioBodySchema = Type.Object(
  {
    name: ScenarioNameSchema,
    description: Type.Optional(Type.String({ maxLength: 500, default: '' })),
    currency: Type.Optional(CurrencySchema),
    environment: EnvironmentBodySchema,
    training: Type.Optional(TrainingBodySchema),
    reward: Type.Optional(RewardBodySchema)
  },
  { additionalProperties: false }
);
export type ScenarioBody = Static<typeof ScenarioBodySchema>;

/** PUT replaces the whole scenario; `name` in the body renames it (absent: keeps the name). */
export const ScenarioUpdateBodySchema = Type.Object(
  { ...ScenarioBodySchema.properties, name: Type.Optional(ScenarioNameSchema) },
  { additionalProperties: false }
);
export type ScenarioUpdateBody = Static<typeof ScenarioUpdateBodySchema>;

export const ScenarioListItemSchema = Type.Object({
  name: ScenarioNameSchema,
  description: Type.String(),
  currency: CurrencySchema,
  income: Type.Number(),
  fixed_expenses: Type.Number(),
  variable_expenses: Type.Number({ description: 'variable_expense_mean' }),
  available_monthly: Type.Number({ description: 'income - fixed_expenses - variable_expenses' }),
  available_pct: Type.Number({ description: 'available_monthly / income in percent, 1 decimal; 0 when income <= 0' }),
  risk_tolerance: Type.Number(),
  updated_at: TimestampSchema,
  size: Type.Integer({ minimum: 0, description: 'bytes of the stored scenario (description and config as JSON)' })
});

export const ScenarioListResponseSchema = Type.Object({
  scenarios: Type.Array(ScenarioListItemSchema),
  total: Type.Integer({ minimum: 0 })
});

export const ScenarioTemplateSchema = Type.Object({
  name: ScenarioNameSchema,
  display_name: Type.String(),
  description: Type.String(),
  environment: EnvironmentConfigSchema,
  training: TrainingConfigSchema,
  reward: RewardConfigSchema
});
export type ScenarioTemplate = Static<typeof ScenarioTemplateSchema>;

export const ScenarioTemplatesResponseSchema = Type.Object({ templates: Type.Array(ScenarioTemplateSchema) });

export const DeletedResponseSchema = Type.Object({ message: Type.String(), name: Type.String() });
