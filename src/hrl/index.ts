// Public surface of the HRL core. Pure computation: no I/O, safe in a worker thread.
export {
  EnvironmentConfigSchema,
  TrainingConfigSchema,
  RewardConfigSchema,
  ScenarioConfigSchema,
  ScenarioConfigError,
  normalizeScenarioConfig,
  parseScenarioYaml,
  scenarioToYaml,
} from './config.js';
export type { EnvironmentConfig, TrainingConfig, RewardConfig, ScenarioConfig } from './config.js';
export { EpisodeMetricsSchema } from './metrics.js';
export type { EpisodeMetrics } from './metrics.js';
