// Per-episode training metrics; the property names are the wire names the
// service stores and broadcasts (docs/model.md, docs/protocol.md).
import { Type, type Static } from '@sinclair/typebox';

export const EpisodeMetricsSchema = Type.Object(
  {
    episode: Type.Integer({ minimum: 1, description: '1-based episode number within the run' }),
    episode_reward: Type.Number({ description: 'Sum of the monthly (executor) rewards' }),
    episode_length: Type.Integer({ minimum: 0, description: 'Months simulated' }),
    final_cash: Type.Number(),
    total_invested: Type.Number({ description: 'Sum of the monthly contributions to the portfolio' }),
    portfolio_value: Type.Number({ description: 'Market value of the portfolio at the end (contributions plus returns)' }),
    cash_stability_index: Type.Number({ minimum: 0, maximum: 1, description: 'Fraction of months ending with cash > 0' }),
    goal_adherence: Type.Number({ minimum: 0, description: "Mean |strategist target invest ratio - executor invest ratio| (lower is better)" }),
    sharpe_ratio: Type.Number({ description: 'Mean / std of the monthly rewards (0 when undefined)' }),
    policy_stability: Type.Number({ minimum: 0, maximum: 1, description: '1 - mean total-variation distance between consecutive actions' }),
  },
  { $id: 'EpisodeMetrics', additionalProperties: false },
);

export type EpisodeMetrics = Static<typeof EpisodeMetricsSchema>;
