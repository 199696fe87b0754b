// Scenario configuration: the original's three blocks (environment, training,
// reward) with its names, defaults and validation bounds. The TypeBox schemas are
// the single source: the validator checks one property schema at a time so its
// message can name the field and the rule derived from that schema.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/**
 * Upper bounds (README "Limits"): every amount stays far from where doubles lose
 * cents or overflow over the longest episode, and one episode's work stays bounded.
 */
export const MAX_MONEY = 1_000_000_000;
export const MAX_MONTHS = 1200;
export const MAX_REWARD_WEIGHT = 1_000_000;
export const MAX_TRAINING_EPISODES = 1_000_000;
const money = (defaultValue: number, options: { exclusiveMinimum?: number; description?: string } = {}) =>
  options.exclusiveMinimum === undefined
    ? Type.Number({ minimum: 0, maximum: MAX_MONEY, default: defaultValue, ...options })
    : Type.Number({ maximum: MAX_MONEY, default: defaultValue, ...options });

export const EnvironmentConfigSchema = Type.Object(
  {
    income: money(3200, { exclusiveMinimum: 0, description: 'Monthly net income' }),
    fixed_expenses: money(1400),
    variable_expense_mean: money(700),
    variable_expense_std: money(100),
    inflation: Type.Number({ minimum: -1, maximum: 1, default: 0.02, description: 'Annual rate' }),
    safety_threshold: money(1000),
    max_months: Type.Integer({ exclusiveMinimum: 0, maximum: MAX_MONTHS, default: 60 }),
    initial_cash: money(0),
    risk_tolerance: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    investment_return_mean: Type.Number({ minimum: -1, maximum: 1, default: 0.005 }),
    investment_return_std: Type.Number({ minimum: 0, maximum: 1, default: 0.02 }),
    investment_return_type: Type.Union([Type.Literal('fixed'), Type.Literal('stochastic'), Type.Literal('none')], { default: 'stochastic' }),
  },
  { $id: 'EnvironmentConfig', additionalProperties: false },
);

export const TrainingConfigSchema = Type.Object(
  {
    num_episodes: Type.Integer({ exclusiveMinimum: 0, maximum: MAX_TRAINING_EPISODES, default: 1000 }),
    gamma_low: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.95 }),
    gamma_high: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.99 }),
    high_period: Type.Integer({ exclusiveMinimum: 0, maximum: MAX_MONTHS, default: 6 }),
    batch_size: Type.Integer({ exclusiveMinimum: 0, maximum: 4096, default: 32 }),
    learning_rate_low: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.0003 }),
    learning_rate_high: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.0001 }),
    auto: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'true: the learner derives discount, rollout length, learning rates and (unless num_episodes is given with the run) the episode budget from the horizon; false: the values above are used verbatim',
      }),
    ),
  },
  { $id: 'TrainingConfig', additionalProperties: false },
);

export const RewardConfigSchema = Type.Object(
  {
    alpha: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT, default: 10 }),
    beta: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT, default: 0.1 }),
    gamma: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT, default: 5 }),
    delta: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT, default: 20 }),
    lambda: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT, default: 1 }),
    mu: Type.Number({ minimum: 0, maximum: MAX_REWARD_WEIGHT, default: 0.5 }),
  },
  { $id: 'RewardConfig', additionalProperties: false },
);

export const ScenarioConfigSchema = Type.Object(
  {
    environment: EnvironmentConfigSchema,
    training: TrainingConfigSchema,
    reward: RewardConfigSchema,
  },
  { $id: 'ScenarioConfig', additionalProperties: false },
);

export type EnvironmentConfig = Static<typeof EnvironmentConfigSchema>;
export type TrainingConfig = Static<typeof TrainingConfigSchema>;
export type RewardConfig = Static<typeof RewardConfigSchema>;
export type ScenarioConfig = Static<typeof ScenarioConfigSchema>;

/** A config that breaks a rule; `field` is the dotted path, `rule` the broken rule. */
export class ScenarioConfigError extends Error {
  readonly field: string;
  readonly rule: string;
  constructor(field: string, rule: string, detail?: string) {
    super(`${field} ${rule}${detail ? ` (${detail})` : ''}`);
    this.name = 'ScenarioConfigError';
    this.field = field;
    this.rule = rule;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'got null';
  if (Array.isArray(v)) return 'got an array';
  if (typeof v === 'string') return `got string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `got ${typeof v === 'object' ? 'an object' : String(v)}`;
}

function ruleText(schema: TSchema): string {
  if (schema.type === 'boolean') return 'must be true or false';
  if (Array.isArray(schema.anyOf)) return `must be one of ${schema.anyOf.map((s: TSchema) => String(s.const)).join(', ')}`;
  const lo = schema.exclusiveMinimum !== undefined ? { v: schema.exclusiveMinimum as number, open: true } : schema.minimum !== undefined ? { v: schema.minimum as number, open: false } : undefined;
  const hi = schema.maximum !== undefined ? (schema.maximum as number) : undefined;
  const kind = schema.type === 'integer' ? 'an integer' : 'a number';
  if (lo && hi !== undefined) return `must be ${kind} in ${lo.open ? '(' : '['}${lo.v}, ${hi}]`;
  if (lo) return `must be ${kind} ${lo.open ? '>' : '>='} ${lo.v}`;
  if (hi !== undefined) return `must be ${kind} <= ${hi}`;
  return `must be ${kind}`;
}

const checkers = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>();
function checkField(path: string, schema: TSchema, value: unknown): unknown {
  let c = checkers.get(schema);
  if (!c) checkers.set(schema, (c = TypeCompiler.Compile(schema)));
  if (!c.Check(value)) throw new ScenarioConfigError(path, ruleText(schema), describe(value));
  return value;
}

function normalizeBlock(block: string, schema: TObject, input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) input = {};
  if (!isPlainObject(input)) throw new ScenarioConfigError(block, 'must be an object', describe(input));
  const src: Record<string, unknown> = { ...input };
  if (block === 'reward' && Object.hasOwn(src, 'lambda_')) {
    if (Object.hasOwn(src, 'lambda') && src.lambda !== src.lambda_) {
      throw new ScenarioConfigError('reward.lambda', 'must not be given twice with different values (lambda and lambda_)');
    }
    src.lambda = src.lambda_;
    delete src.lambda_;
  }
  const props = schema.properties as Record<string, TSchema>;
  for (const key of Object.keys(src)) {
    // Own properties only: `constructor`, `toString` or `__proto__` are inherited by every object, not fields.
    if (!Object.hasOwn(props, key)) throw new ScenarioConfigError(`${block}.${key}`, 'is not a known field', `known: ${Object.keys(props).join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(props)) {
    const v = src[key];
    out[key] = v === undefined ? prop.default : checkField(`${block}.${key}`, prop, v);
  }
  return out;
}

/**
 * Fills defaults, accepts `lambda_` for `lambda`, checks every rule; unknown keys
 * are rejected so a typo cannot silently fall back to a default.
 */
export function normalizeScenarioConfig(input: unknown): ScenarioConfig {
  if (input === undefined || input === null) input = {};
  if (!isPlainObject(input)) throw new ScenarioConfigError('(root)', 'must be an object', describe(input));
  for (const key of Object.keys(input)) {
    if (key !== 'environment' && key !== 'training' && key !== 'reward') {
      throw new ScenarioConfigError(key, 'is not a known block', 'known: environment, training, reward');
    }
  }
  const environment = normalizeBlock('environment', EnvironmentConfigSchema, input.environment) as unknown as EnvironmentConfig;
  const training = normalizeBlock('training', TrainingConfigSchema, input.training) as unknown as TrainingConfig;
  const reward = normalizeBlock('reward', RewardConfigSchema, input.reward) as unknown as RewardConfig;
  return { environment, training, reward };
}

/** ISO 4217 code of the scenario's amounts (a top-level field beside name and description). */
export const DEFAULT_CURRENCY = 'EUR';
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
let knownCurrencies: ReadonlySet<string> | undefined;

/** 'must be ...' when `code` is not an ISO 4217 code this runtime knows; undefined when it is. */
export function currencyProblem(code: string): string | undefined {
  if (!CURRENCY_PATTERN.test(code)) return 'must be an ISO 4217 code of three capital letters, e.g. EUR';
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  if (!knownCurrencies.has(code)) return 'must be a known ISO 4217 currency code';
  return undefined;
}

export type ScenarioFileMeta = { name?: string; description?: string; currency?: string };

/** Parses a scenario file in the original YAML format (comments, lambda_ or lambda, optional name/description/currency). */
export function parseScenarioYaml(text: string): { config: ScenarioConfig } & ScenarioFileMeta {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioConfigError('(yaml)', 'must be valid YAML', (err as Error).message.split('\n')[0]);
  }
  return scenarioFromDocument(doc);
}

/** A scenario from an already parsed YAML document (name, description, currency and the three blocks). */
export function scenarioFromDocument(doc: unknown): { config: ScenarioConfig } & ScenarioFileMeta {
  if (doc === null || doc === undefined) doc = {};
  if (!isPlainObject(doc)) throw new ScenarioConfigError('(root)', 'must be a mapping with environment, training and reward blocks', describe(doc));
  const { name, description, currency, ...blocks } = doc;
  if (name !== undefined && typeof name !== 'string') throw new ScenarioConfigError('name', 'must be a string', describe(name));
  if (description !== undefined && description !== null && typeof description !== 'string') {
    throw new ScenarioConfigError('description', 'must be a string', describe(description));
  }
  if (currency !== undefined && currency !== null) {
    if (typeof currency !== 'string') throw new ScenarioConfigError('currency', 'must be a string', describe(currency));
    const problem = currencyProblem(currency);
    if (problem) throw new ScenarioConfigError('currency', problem, describe(currency));
  }
  const out: { config: ScenarioConfig } & ScenarioFileMeta = { config: normalizeScenarioConfig(blocks) };
  if (typeof name === 'string') out.name = name;
  if (typeof description === 'string') out.description = description;
  if (typeof currency === 'string') out.currency = currency;
  return out;
}

/** Writes the original YAML format (reward λ spelled `lambda_` like the shipped files); parseScenarioYaml reads it back identically. */
export function scenarioToYaml(config: ScenarioConfig, meta?: ScenarioFileMeta): string {
  const doc: Record<string, unknown> = {};
  if (meta?.name !== undefined) doc.name = meta.name;
  if (meta?.description !== undefined) doc.description = meta.description;
  if (meta?.currency !== undefined) doc.currency = meta.currency;
  doc.environment = { ...config.environment };
  doc.training = { ...config.training };
  const { lambda, ...rest } = config.reward;
  doc.reward = { alpha: rest.alpha, beta: rest.beta, gamma: rest.gamma, delta: rest.delta, lambda_: lambda, mu: rest.mu };
  return stringifyYaml(doc);
}
