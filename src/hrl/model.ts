// The saved model: versioned JSON with the config, the feature normalization
// and every weight. JSON numbers round-trip doubles exactly, so
// stringify → parse → loadModel reproduces the same actions bit for bit.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ScenarioConfigSchema, normalizeScenarioConfig, ScenarioConfigError, type ScenarioConfig } from './config.js';
import { HrlAgent, ppoOptions } from './agent.js';
import { TrainingSettingsSchema, type TrainingSettings } from './settings.js';
import { Rng } from './rng.js';
import type { GaussianPpo } from './ppo.js';

const NetworkSchema = Type.Object(
  {
    sizes: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 2, description: 'Policy layer widths, input first' }),
    value_sizes: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 2, description: 'Value layer widths, input first' }),
    activation: Type.Literal('tanh'),
    policy: Type.Array(Type.Number(), { description: 'Policy-mean MLP parameters, per layer W (row-major out×in) then b' }),
    value: Type.Array(Type.Number(), { description: 'Value MLP parameters (same layout, one output)' }),
    log_std: Type.Array(Type.Number(), { description: 'State-independent log standard deviations of the Gaussian policy' }),
  },
  { additionalProperties: false },
);

/** The model format this build writes and reads. */
export const MODEL_VERSION = 3;

export const HrlModelSchema = Type.Object(
  {
    format: Type.Literal('hrl-finance-model'),
    version: Type.Literal(MODEL_VERSION),
    config: ScenarioConfigSchema,
    training_settings: TrainingSettingsSchema,
    seed: Type.Number(),
    episodes_trained: Type.Integer({ minimum: 0 }),
    normalization: Type.Object(
      {
        money: Type.Number({ exclusiveMinimum: 0 }),
        months: Type.Number({ exclusiveMinimum: 0 }),
        reward: Type.Number({ exclusiveMinimum: 0 }),
      },
      { additionalProperties: false },
    ),
    executor: NetworkSchema,
    strategist: NetworkSchema,
  },
  { $id: 'HrlModel', additionalProperties: false },
);
export type HrlModel = Static<typeof HrlModelSchema>;

const checkModel = TypeCompiler.Compile(HrlModelSchema);

export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

function paramCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 0; l < sizes.length - 1; l++) n += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return n;
}

function dumpNet(ppo: GaussianPpo): HrlModel['executor'] {
  return {
    sizes: [...ppo.policy.sizes],
    value_sizes: [...ppo.value.sizes],
    activation: 'tanh',
    policy: Array.from(ppo.policy.params),
    value: Array.from(ppo.value.params),
    log_std: Array.from(ppo.logStd),
  };
}

export function modelFromAgent(agent: HrlAgent, config: ScenarioConfig, seed: number, episodes: number, settings: TrainingSettings): HrlModel {
  return {
    format: 'hrl-finance-model',
    version: MODEL_VERSION,
    config: structuredClone(config),
    training_settings: { ...settings },
    seed,
    episodes_trained: episodes,
    normalization: { ...agent.norm },
    executor: dumpNet(agent.executor),
    strategist: dumpNet(agent.strategist),
  };
}


/** Validates an untrusted (e.g. JSON.parse'd) model and returns it typed; throws ModelFormatError naming the problem. */
export function loadModel(json: unknown): HrlModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFormatError('model must be a JSON object');
  const m = json as Record<string, unknown>;
  if (m.format !== 'hrl-finance-model') throw new ModelFormatError(`model.format must be "hrl-finance-model" (got ${JSON.stringify(m.format)})`);
  if (m.version === 1) {
    throw new ModelFormatError(
      `model.version 1 is no longer supported (this build reads version ${MODEL_VERSION}): version 1 models were trained on the low-level reward alone, with three goal inputs of which one fed nothing and no recorded training settings; retrain the scenario to get a version ${MODEL_VERSION} model`,
    );
  }
  if (m.version === 2) {
    throw new ModelFormatError(
      `model.version 2 is no longer supported (this build reads version ${MODEL_VERSION}): in version 2 the executor's prior was a fixed budget and the strategist's goals (invest target, safety buffer in euros) only fed training-only terms; in version ${MODEL_VERSION} the goal is the executor's prior (invest share, consume scale), so the same weights would act differently; retrain the scenario to get a version ${MODEL_VERSION} model`,
    );
  }
  if (m.version !== MODEL_VERSION) throw new ModelFormatError(`model.version ${JSON.stringify(m.version)} is not supported (this build reads version ${MODEL_VERSION})`);
  try {
    normalizeScenarioConfig(m.config);
  } catch (err) {
    if (err instanceof ScenarioConfigError) throw new ModelFormatError(`model.config: ${err.message}`);
    throw err;
  }
  if (!checkModel.Check(json)) {
    const e = checkModel.Errors(json).First();
    throw new ModelFormatError(`model${e?.path.replaceAll('/', '.') ?? ''}: ${e?.message ?? 'invalid'}`);
  }
  const model = json as HrlModel;
  const expected = { executor: ppoOptions(model.config, model.training_settings, 'executor'), strategist: ppoOptions(model.config, model.training_settings, 'strategist') };
  for (const level of ['executor', 'strategist'] as const) {
    const net = model[level];
    const o = expected[level];
    if (net.sizes[0] !== o.inputDim || net.sizes[net.sizes.length - 1] !== o.actDim) {
      throw new ModelFormatError(`model.${level}.sizes must start with ${o.inputDim} inputs and end with ${o.actDim} outputs`);
    }
    const want = [o.inputDim, ...o.hidden, o.actDim].join(',');
    if (net.sizes.join(',') !== want) throw new ModelFormatError(`model.${level}.sizes [${net.sizes.join(',')}] do not match this build's network [${want}]`);
    const wantValue = [o.inputDim, ...o.valueHidden, 1].join(',');
    if (net.value_sizes.join(',') !== wantValue) throw new ModelFormatError(`model.${level}.value_sizes [${net.value_sizes.join(',')}] do not match this build's network [${wantValue}]`);
    if (net.policy.length !== paramCount(net.sizes)) throw new ModelFormatError(`model.${level}.policy must hold ${paramCount(net.sizes)} numbers (got ${net.policy.length})`);
    if (net.value.length !== paramCount(net.value_sizes)) throw new ModelFormatError(`model.${level}.value must hold ${paramCount(net.value_sizes)} numbers (got ${net.value.length})`);
    if (net.log_std.length !== o.actDim) throw new ModelFormatError(`model.${level}.log_std must hold ${o.actDim} numbers`);
  }
  return model;
}

/** Rebuilds an agent whose networks hold the model's weights (used for evaluation and simulation). */
export function agentFromModel(model: HrlModel, config: ScenarioConfig): HrlAgent {
  // Network init draws from this throwaway generator and is overwritten at once; the run's own
  // generator is never touched, so evaluation streams stay aligned across policies.
  // The strategist keeps the decision period it was trained with; environment and reward come from `config`.
  const agent = new HrlAgent({ ...config, training: model.config.training }, model.training_settings, new Rng(0), { ...model.normalization });
  for (const level of ['executor', 'strategist'] as const) {
    const net = model[level];
    const ppo = agent[level];
    ppo.policy.params.set(net.policy);
    ppo.value.params.set(net.value);
    ppo.logStd.set(net.log_std);
  }
  return agent;
}
