import { Type, type Static, type TSchema, type TLiteral } from '@sinclair/typebox';
import { Nullable, RequestIdSchema, RunIdSchema, ScenarioNameSchema, TimestampSchema } from './common.js';

// ---- Run event payloads (the `data` of a run envelope) -------------------------------

/** The learner's settings actually in use for a run (discounts, rollout length, learning rates, `auto`, ...). */
export const TrainingSettingsSchema = Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.Number(), Type.Boolean()]), {
  description: 'the training values in use for this run, by name (numbers and flags)'
});
export type TrainingSettings = Static<typeof TrainingSettingsSchema>;

export const TrainingStartedDataSchema = Type.Object({
  run_id: RunIdSchema,
  scenario_name: ScenarioNameSchema,
  num_episodes: Type.Integer({ minimum: 1 }),
  start_time: TimestampSchema,
  seed: Type.Integer({ minimum: 0 }),
  training_settings: Type.Optional(TrainingSettingsSchema)
});

/** Rolling means over the last min(10, n) episodes, as in the original system. */
export const TrainingProgressDataSchema = Type.Object({
  episode: Type.Integer({ minimum: 1 }),
  total_episodes: Type.Integer({ minimum: 1 }),
  avg_reward: Type.Number(),
  avg_duration: Type.Number({ minimum: 0 }),
  avg_cash: Type.Number(),
  avg_invested: Type.Number(),
  stability: Type.Number({ minimum: 0, maximum: 1 }),
  goal_adherence: Type.Number({ minimum: 0 }),
  elapsed_time: Type.Number({ minimum: 0, description: 'seconds since the run started' })
});

const PairedDifferenceSchema = Type.Object({
  mean: Type.Number({ description: 'mean of the per-seed differences learned − baseline' }),
  ci95: Type.Tuple([Type.Number(), Type.Number()], { description: 'paired 95% confidence interval [lo, hi] of that mean' })
});

/** Held-out comparison of the learned policy with the best constant allocation and the best rule of thumb (means only). */
export const BaselinesSchema = Type.Object({
  episodes: Type.Integer({ minimum: 1, description: 'held-out evaluation episodes (seeds never used in training)' }),
  learned_mean: Type.Number({ description: 'mean episode reward of the learned deterministic policy' }),
  best_constant: Type.Object({
    allocation: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 3, maxItems: 3, description: '[invest, save, consume] shares' }),
    mean: Type.Number()
  }),
  best_rule: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 64 }),
    params: Type.Record(Type.String({ maxLength: 64 }), Type.Number(), { description: 'the rule parameters, e.g. {k: 1.5}; empty when it has none' }),
    mean: Type.Number()
  }),
  diff_constant: PairedDifferenceSchema,
  diff_rule: PairedDifferenceSchema
});
export type Baselines = Static<typeof BaselinesSchema>;

export const FinalMetricsSchema = Type.Object({
  avg_reward: Type.Number(),
  avg_duration: Type.Number({ minimum: 0 }),
  avg_cash: Type.Number(),
  avg_invested: Type.Number(),
  avg_portfolio: Type.Number(),
  stability: Type.Number({ minimum: 0, maximum: 1 }),
  goal_adherence: Type.Number({ minimum: 0 }),
  max_reward: Type.Number(),
  final_reward: Type.Number(),
  eval_episodes: Type.Integer({ minimum: 0, description: 'deterministic evaluation episodes run after training' }),
  eval_reward_mean: Nullable(Type.Number({ description: 'mean episode reward of the evaluation; null when none ran' })),
  eval_total_wealth_mean: Nullable(Type.Number({ description: 'mean final cash + portfolio of the evaluation; null when none ran' })),
  baselines: Type.Optional(BaselinesSchema)
});

export const TrainingCompletedDataSchema = Type.Object({
  scenario_name: ScenarioNameSchema,
  episodes_completed: Type.Integer({ minimum: 0 }),
  final_metrics: FinalMetricsSchema,
  model_name: Type.String(),
  duration_s: Type.Number({ minimum: 0 })
});

export const TrainingStoppedDataSchema = Type.Object({
  scenario_name: ScenarioNameSchema,
  episodes_completed: Type.Integer({ minimum: 0 }),
  model_name: Nullable(Type.String({ description: 'null when nothing was saved' })),
  // Optional only so events stored before it existed still validate; the service always sets it.
  reason: Type.Optional(
    Type.Union([Type.Literal('user'), Type.Literal('shutdown')], {
      description: 'why the run stopped: `user` a stop request (POST /api/training/stop), `shutdown` the service shutting down'
    })
  )
});

export const TrainingErrorDataSchema = Type.Object({
  message: Type.String(),
  details: Type.String(),
  scenario_name: ScenarioNameSchema,
  episodes_completed: Type.Integer({ minimum: 0 })
});

// ---- Envelopes ------------------------------------------------------------------------

const runEnvelope = <K extends string, D extends TSchema>(type: K, data: D) =>
  Type.Object({
    type: Type.Literal(type),
    ts: TimestampSchema,
    run_id: RunIdSchema,
    // Optional only so envelopes stored before it existed still validate; the bus sets it on every event.
    scenario_name: Type.Optional(ScenarioNameSchema),
    seq: Type.Integer({ minimum: 1, description: 'per run, starts at 1, contiguous' }),
    data
  });

export const TrainingStartedEventSchema = runEnvelope('training_started', TrainingStartedDataSchema);
export const TrainingProgressEventSchema = runEnvelope('training_progress', TrainingProgressDataSchema);
export const TrainingCompletedEventSchema = runEnvelope('training_completed', TrainingCompletedDataSchema);
export const TrainingStoppedEventSchema = runEnvelope('training_stopped', TrainingStoppedDataSchema);
export const TrainingErrorEventSchema = runEnvelope('training_error', TrainingErrorDataSchema);

export const RunEventSchema = Type.Union([
  TrainingStartedEventSchema,
  TrainingProgressEventSchema,
  TrainingCompletedEventSchema,
  TrainingStoppedEventSchema,
  TrainingErrorEventSchema
]);
export type RunEvent = Static<typeof RunEventSchema>;
export type RunEventType = RunEvent['type'];

/** Payload type for each run event type, e.g. RunEventData<'training_progress'>. */
export type RunEventData<K extends RunEventType> = Extract<RunEvent, { type: K }>['data'];

export const TERMINAL_EVENT_TYPES: ReadonlySet<RunEventType> = new Set([
  'training_completed',
  'training_stopped',
  'training_error'
]);

export const RUN_EVENT_DATA_SCHEMAS = {
  training_started: TrainingStartedDataSchema,
  training_progress: TrainingProgressDataSchema,
  training_completed: TrainingCompletedDataSchema,
  training_stopped: TrainingStoppedDataSchema,
  training_error: TrainingErrorDataSchema
} as const satisfies Record<RunEventType, TSchema>;

// ---- Session messages (no run_id / seq) -------------------------------------------------

const sessionMessage = <K extends string, P extends Record<string, TSchema>>(type: K, props: P) =>
  Type.Object({ type: Type.Literal(type) as TLiteral<K>, ts: TimestampSchema, ...props });

export const PROTOCOL_VERSION = 1;

export const ConnectionEstablishedSchema = sessionMessage('connection_established', {
  message: Type.String(),
  session_id: Type.String(),
  protocol_version: Type.Literal(PROTOCOL_VERSION),
  heartbeat_interval_ms: Type.Integer({ minimum: 1 })
});

const filterFields = {
  request_id: Type.Optional(RequestIdSchema),
  run_id: Type.Optional(RunIdSchema),
  scenario_name: Type.Optional(ScenarioNameSchema)
};

export const SubscriptionConfirmedSchema = sessionMessage('subscription_confirmed', {
  ...filterFields,
  replayed: Type.Integer({ minimum: 0, description: 'events delivered from history before live ones' }),
  resumed: Type.Boolean({ description: 'true when since_seq was honoured with no gap' })
});

export const UnsubscribedSchema = sessionMessage('unsubscribed', filterFields);

export const PongSchema = sessionMessage('pong', { request_id: Type.Optional(RequestIdSchema) });

export const ErrorCodeSchema = Type.Union(
  [
    Type.Literal('invalid_json'),
    Type.Literal('binary_not_supported'),
    Type.Literal('unknown_type'),
    Type.Literal('invalid_message'),
    Type.Literal('invalid_request'),
    Type.Literal('unknown_run'),
    Type.Literal('not_subscribed'),
    Type.Literal('rate_limited'),
    Type.Literal('too_many_subscriptions'),
    Type.Literal('internal_error')
  ],
  { description: 'stable machine-readable error code' }
);
export type ErrorCode = Static<typeof ErrorCodeSchema>;

export const ErrorMessageSchema = sessionMessage('error', {
  code: ErrorCodeSchema,
  message: Type.String(),
  request_id: Type.Optional(RequestIdSchema)
});

export const SessionMessageSchema = Type.Union([
  ConnectionEstablishedSchema,
  SubscriptionConfirmedSchema,
  UnsubscribedSchema,
  PongSchema,
  ErrorMessageSchema
]);
export type SessionMessage = Static<typeof SessionMessageSchema>;

export const ServerMessageSchema = Type.Union([RunEventSchema, SessionMessageSchema]);
export type ServerMessage = Static<typeof ServerMessageSchema>;

export type TrainingProgressData = Static<typeof TrainingProgressDataSchema>;
export type FinalMetrics = Static<typeof FinalMetricsSchema>;
