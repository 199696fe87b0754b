import { Type, type Static } from '@sinclair/typebox';
import { ScenarioNameSchema, TimestampSchema } from './common.js';
import { MAX_SEED, ModelNameSchema } from './training.js';

/** Synchronous simulation answers within seconds up to this many episodes. */
export const MAX_SIMULATION_EPISODES = 1000;
/**
 * Upper bound of num_episodes × the scenario's max_months per simulation: what one request
 * may compute, answer and store with its per-month histories (1000 episodes of 60 months,
 * or 50 of 1200; a few MB of JSON).
 */
export const MAX_SIMULATION_EPISODE_MONTHS = 60_000;

export const SimulationIdSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^sim_[a-z0-9]+_[0-9a-f]+$',
  description: 'sim_<time base36>_<64 random bits hex>: unique even within one millisecond',
  examples: ['sim_mx4b0k2p_9f86d081884c7d65']
});

export const RunSimulationBodySchema = Type.Object(
  {
    model_name: ModelNameSchema,
    /** Stored scenario to simulate on (its current config); absent: the config the model was trained on. */
    scenario_name: Type.Optional(ScenarioNameSchema),
    num_episodes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SIMULATION_EPISODES, default: 10 })),
    seed: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_SEED, description: 'same model + config + seed => identical result; chosen by the server when absent' })
    )
  },
  { additionalProperties: false }
);
export type RunSimulationBody = Static<typeof RunSimulationBodySchema>;

export const SimulationParamsSchema = Type.Object({ simulation_id: SimulationIdSchema });

const Series = (description: string) => Type.Array(Type.Number(), { description });

export const SimulatedEpisodeSchema = Type.Object({
  episode_id: Type.Integer({ minimum: 1 }),
  duration: Type.Integer({ minimum: 0, description: 'months simulated' }),
  final_cash: Type.Number(),
  final_invested: Type.Number({ description: 'sum of the contributions to the portfolio' }),
  final_portfolio_value: Type.Number({ description: 'market value of the portfolio at the end' }),
  total_wealth: Type.Number({ description: 'final_cash + final_portfolio_value' }),
  investment_gains: Type.Number({ description: 'final_portfolio_value - final_invested' }),
  episode_reward: Type.Number(),
  months: Type.Array(Type.Integer({ minimum: 1 })),
  cash_history: Series('cash at the end of each month'),
  invested_history: Series('cumulative contributions at the end of each month'),
  portfolio_history: Series('portfolio market value at the end of each month'),
  actions: Type.Array(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 }), { description: '[invest, save, consume] shares per month' })
});
export type SimulatedEpisodeWire = Static<typeof SimulatedEpisodeSchema>;

const stat = (description: string) => Type.Number({ description });

/** What identifies a simulation, shared by the full result and its history item. */
const simulationHeader = {
  simulation_id: SimulationIdSchema,
  scenario_name: ScenarioNameSchema,
  model_name: ModelNameSchema,
  num_episodes: Type.Integer({ minimum: 1 }),
  timestamp: TimestampSchema,
  seed: Type.Integer({ minimum: 0 })
};

export const SimulationResultSchema = Type.Object({
  ...simulationHeader,
  duration_mean: stat('months'),
  duration_std: stat('months'),
  final_cash_mean: stat(''),
  final_cash_std: stat(''),
  final_invested_mean: stat(''),
  final_invested_std: stat(''),
  final_portfolio_mean: stat('market value'),
  final_portfolio_std: stat(''),
  total_wealth_mean: stat('cash + portfolio'),
  total_wealth_std: stat(''),
  investment_gains_mean: stat('portfolio - invested'),
  investment_gains_std: stat(''),
  episode_reward_mean: stat(''),
  episode_reward_std: stat(''),
  avg_invest_pct: Type.Number({ minimum: 0, maximum: 100 }),
  avg_save_pct: Type.Number({ minimum: 0, maximum: 100 }),
  avg_consume_pct: Type.Number({ minimum: 0, maximum: 100 }),
  episodes: Type.Array(SimulatedEpisodeSchema)
});
export type SimulationResult = Static<typeof SimulationResultSchema>;

/** limit/offset of the list routes (simulation history, reports). */
export const pageFields = () => ({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 }))
});

export const SimulationHistoryQuerySchema = Type.Object({ model_name: Type.Optional(ModelNameSchema), ...pageFields() });

export const SimulationHistoryItemSchema = Type.Object({
  ...simulationHeader,
  total_wealth_mean: Type.Number(),
  duration_mean: Type.Number()
});

export const SimulationHistoryResponseSchema = Type.Object({
  simulations: Type.Array(SimulationHistoryItemSchema),
  total: Type.Integer({ minimum: 0 })
});

export const SimulationDeletedResponseSchema = Type.Object({
  message: Type.String(),
  simulation_id: SimulationIdSchema,
  reports_deleted: Type.Integer({ minimum: 0, description: "the simulation's reports deleted with it (records and files)" })
});
