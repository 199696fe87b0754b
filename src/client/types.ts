// Types only: the client ships no schema code, so a browser bundle stays small.
export type {
  RunEvent,
  RunEventType,
  RunEventData,
  ServerMessage,
  SessionMessage,
  ErrorCode,
  TrainingProgressData,
  FinalMetrics
} from '../contracts/events.js';
export type { ClientMessage, SubscribeTraining, UnsubscribeTraining } from '../contracts/client-messages.js';
export type { Run, RunStatus, StartTrainingBody, StopTrainingBody } from '../contracts/training.js';
export type { Scenario, ScenarioBody, ScenarioUpdateBody, ScenarioTemplate } from '../contracts/scenarios.js';

import type { Static } from '@sinclair/typebox';
import type { RunEvent } from '../contracts/events.js';
import type {
  RunEventsResponseSchema,
  RunHistoryResponseSchema,
  RunListResponseSchema,
  StartTrainingResponseSchema,
  StopTrainingResponseSchema,
  TrainingStatusResponseSchema
} from '../contracts/training.js';
import type { HealthResponseSchema } from '../contracts/health.js';
import type { DeletedResponseSchema, ScenarioListItemSchema, ScenarioListResponseSchema, ScenarioTemplatesResponseSchema } from '../contracts/scenarios.js';

export type StartTrainingResponse = Static<typeof StartTrainingResponseSchema>;
export type StopTrainingResponse = Static<typeof StopTrainingResponseSchema>;
export type TrainingStatusResponse = Static<typeof TrainingStatusResponseSchema>;
export type RunListResponse = Static<typeof RunListResponseSchema>;
export type RunHistoryResponse = Static<typeof RunHistoryResponseSchema>;
export type RunEventsResponse = Static<typeof RunEventsResponseSchema>;
export type HealthResponse = Static<typeof HealthResponseSchema>;
export type ScenarioListItem = Static<typeof ScenarioListItemSchema>;
export type ScenarioListResponse = Static<typeof ScenarioListResponseSchema>;
export type ScenarioTemplatesResponse = Static<typeof ScenarioTemplatesResponseSchema>;
export type DeletedResponse = Static<typeof DeletedResponseSchema>;

/** The event that ends a run: exactly one per run, always its last. */
export type TerminalRunEvent = Extract<RunEvent, { type: 'training_completed' | 'training_stopped' | 'training_error' }>;

export const isTerminal = (event: RunEvent): event is TerminalRunEvent =>
  event.type === 'training_completed' || event.type === 'training_stopped' || event.type === 'training_error';
