import { Type, type Static } from '@sinclair/typebox';
import { RequestIdSchema, RunIdSchema, ScenarioNameSchema } from './common.js';

// Unknown fields are rejected so that a misspelt filter (`runId`) cannot silently
// widen a subscription to every run.
const strict = { additionalProperties: false } as const;

export const SubscribeTrainingSchema = Type.Object(
  {
    type: Type.Literal('subscribe_training'),
    request_id: Type.Optional(RequestIdSchema),
    run_id: Type.Optional(RunIdSchema),
    scenario_name: Type.Optional(ScenarioNameSchema),
    since_seq: Type.Optional(Type.Integer({ minimum: 0, description: 'resume after this seq (needs run_id)' }))
  },
  strict
);

export const UnsubscribeTrainingSchema = Type.Object(
  {
    type: Type.Literal('unsubscribe_training'),
    request_id: Type.Optional(RequestIdSchema),
    run_id: Type.Optional(RunIdSchema),
    scenario_name: Type.Optional(ScenarioNameSchema)
  },
  strict
);

export const PingSchema = Type.Object(
  { type: Type.Literal('ping'), request_id: Type.Optional(RequestIdSchema) },
  strict
);

export const CLIENT_MESSAGE_SCHEMAS = {
  subscribe_training: SubscribeTrainingSchema,
  unsubscribe_training: UnsubscribeTrainingSchema,
  ping: PingSchema
} as const;

export const ClientMessageSchema = Type.Union([SubscribeTrainingSchema, UnsubscribeTrainingSchema, PingSchema]);
export type ClientMessage = Static<typeof ClientMessageSchema>;
export type SubscribeTraining = Static<typeof SubscribeTrainingSchema>;
export type UnsubscribeTraining = Static<typeof UnsubscribeTrainingSchema>;
