// Public surface of the HRL core. Pure computation: no I/O, safe in a worker thread.
export {
  EnvironmentConfigSchema,
  TrainingConfigSchema,
  RewardConfigSchema,
  ScenarioConfigSchema,
  ScenarioConfigError,
  normalizeScenarioConfig,
  parseScenarioYaml,
  scenarioFromDocument,
  scenarioToYaml,
  currencyProblem,
  DEFAULT_CURRENCY,
  MAX_MONEY,
  MAX_MONTHS,
  MAX_REWARD_WEIGHT,
  MAX_TRAINING_EPISODES,
} from './config.js';
export type { EnvironmentConfig, TrainingConfig, RewardConfig, ScenarioConfig } from './config.js';
export { EpisodeMetricsSchema } from './metrics.js';
export type { EpisodeMetrics } from './metrics.js';
export { train, HrlTrainer, NumericalError } from './trainer.js';
export type { TrainOptions, TrainResult } from './trainer.js';
export { HrlModelSchema, MODEL_VERSION, loadModel, ModelFormatError } from './model.js';
export { TrainingSettingsSchema, resolveTrainingSettings, AUTO } from './settings.js';
export type { TrainingSettings } from './settings.js';
export { BaselinesSchema, compareWithBaselines, runBaselines, heldOutSeed, ruleFamily, pairedDifference, BASELINE_EPISODES } from './baselines.js';
export type { Baselines, BaselineComparison, Rule } from './baselines.js';
export type { HrlModel } from './model.js';
export { simulate, constantAllocationGrid, evaluateConstantPolicy, bestConstantPolicy, meanStd } from './simulate.js';
export type { SimulationOutcome, SimulatedEpisode, SimulationAggregates, ConstantPolicyResult } from './simulate.js';
export { BudgetEnv, monthlyRate, lowLevelReward, highLevelReward, monthlyReward } from './env.js';
export { HYPER } from './agent.js';
