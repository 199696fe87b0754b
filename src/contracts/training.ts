import { Type, type Static } from '@sinclair/typebox';
import { EpisodeMetricsSchema, MAX_TRAINING_EPISODES } from '../hrl/index.js';
import { Nullable, RunIdSchema, ScenarioNameSchema, TimestampSchema } from './common.js';
import { BaselinesSchema, RunEventSchema, TrainingProgressDataSchema, TrainingSettingsSchema } from './events.js';

export const RunStatusSchema = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('stopped'),
  Type.Literal('failed'),
  Type.Literal('interrupted')
]);
export type RunStatus = Static<typeof RunStatusSchema>;

export const ModelNameSchema = Type.String({
  minLength: 1,
  maxLength: 150,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  description: 'Letters, digits, underscore, dot and hyphen; starts with a letter or digit',
  examples: ['balanced-run_mx4auclf_af40dd35b9219483'] // the default: <scenario>-<run_id>
});

export const MAX_SEED = 4294967295;

export const StartTrainingBodySchema = Type.Object(
  {
    scenario_name: ScenarioNameSchema,
    num_episodes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TRAINING_EPISODES,
        description: "episodes to train; absent: the scenario's settings decide (training.auto: a budget from the horizon; auto false: training.num_episodes)"
      })
    ),
    save_interval: Type.Optional(Type.Integer({ minimum: 1, default: 100, description: 'episodes between checkpoints' })),
    eval_episodes: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10_000, default: 10, description: 'deterministic evaluation episodes after training' })
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEED, description: 'same seed + same config => identical history; chosen by the server when absent' })),
    model_name: Type.Optional(ModelNameSchema)
  },
  { additionalProperties: false }
);
export type StartTrainingBody = Static<typeof StartTrainingBodySchema>;
/** The start body with its defaults applied (Fastify fills them in before the handler runs). */
export type StartTrainingRequest = StartTrainingBody & Required<Pick<StartTrainingBody, 'save_interval' | 'eval_episodes'>>;

export const StartTrainingResponseSchema = Type.Object({
  message: Type.String(),
  data: Type.Object({
    status: Type.Union([Type.Literal('started'), Type.Literal('queued')]),
    run_id: RunIdSchema,
    scenario_name: ScenarioNameSchema,
    num_episodes: Type.Integer(),
    start_time: TimestampSchema,
    seed: Type.Integer()
  })
});

export const StopTrainingBodySchema = Type.Object(
  { run_id: Type.Optional(RunIdSchema) },
  { additionalProperties: false }
);
export type StopTrainingBody = Static<typeof StopTrainingBodySchema>;

export const StopTrainingResponseSchema = Type.Object({
  message: Type.String(),
  data: Type.Object({
    status: Type.Union([Type.Literal('stopping'), Type.Literal('stopped')]),
    run_id: RunIdSchema,
    scenario_name: ScenarioNameSchema,
    episodes_completed: Type.Integer({ minimum: 0 }),
    total_episodes: Type.Integer({ minimum: 1 })
  })
});

export const LatestProgressSchema = Nullable(TrainingProgressDataSchema);

export const RunSchema = Type.Object({
  run_id: RunIdSchema,
  scenario_name: ScenarioNameSchema,
  status: RunStatusSchema,
  num_episodes: Type.Integer({ minimum: 1 }),
  episodes_completed: Type.Integer({ minimum: 0 }),
  seed: Type.Integer({ minimum: 0 }),
  created_at: TimestampSchema,
  started_at: Nullable(TimestampSchema),
  finished_at: Nullable(TimestampSchema),
  model_name: Nullable(Type.String()),
  latest_progress: LatestProgressSchema,
  error: Nullable(Type.String({ description: 'why a failed or interrupted run ended' })),
  training_settings: Type.Optional(TrainingSettingsSchema),
  baselines: Type.Optional(BaselinesSchema)
});
export type Run = Static<typeof RunSchema>;

export const RunListQuerySchema = Type.Object({
  scenario_name: Type.Optional(ScenarioNameSchema),
  status: Type.Optional(RunStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 }))
});

export const RunListResponseSchema = Type.Object({
  runs: Type.Array(RunSchema),
  total: Type.Integer({ minimum: 0, description: 'runs matching the filter, before limit/offset' })
});

export const RunParamsSchema = Type.Object({ run_id: RunIdSchema });

/** Episodes per history response; a run up to this long comes whole, as before paging existed. */
export const HISTORY_PAGE_MAX = 10_000;

export const RunHistoryQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: HISTORY_PAGE_MAX, description: `episodes per page (default and maximum ${HISTORY_PAGE_MAX})` })),
    after_episode: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'episodes after this one (default 0: from the first)' }))
  },
  { additionalProperties: false }
);

export const RunHistoryResponseSchema = Type.Object({
  run_id: RunIdSchema,
  episodes: Type.Array(EpisodeMetricsSchema),
  next_after_episode: Nullable(
    Type.Integer({ minimum: 1, description: 'more episodes follow: pass this as after_episode for the next page; null on the last page' })
  )
});

export const RunEventsQuerySchema = Type.Object({
  after_seq: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }))
});

export const RunEventsResponseSchema = Type.Object({
  run_id: RunIdSchema,
  events: Type.Array(RunEventSchema)
});

/** The original's status shape, plus the run id and status. */
export const TrainingStatusResponseSchema = Type.Object({
  is_training: Type.Boolean(),
  scenario_name: Nullable(ScenarioNameSchema),
  current_episode: Type.Integer({ minimum: 0 }),
  total_episodes: Type.Integer({ minimum: 0 }),
  start_time: Nullable(TimestampSchema),
  latest_progress: LatestProgressSchema,
  run_id: Nullable(RunIdSchema),
  status: Nullable(RunStatusSchema)
});
