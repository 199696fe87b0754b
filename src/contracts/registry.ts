import type { TSchema } from '@sinclair/typebox';
import { ErrorResponseSchema } from './common.js';
import * as ev from './events.js';
import * as cm from './client-messages.js';
import * as tr from './training.js';
import * as sc from './scenarios.js';
import * as mo from './models.js';
import * as si from './simulation.js';
import * as rp from './reports.js';
import { HealthResponseSchema, HealthUnhealthyResponseSchema } from './health.js';

export type ContractKind = 'server-message' | 'client-message' | 'rest' | 'domain';

export interface Contract {
  /** Stable name: the file name under schemas/ and the `$id` of the generated schema. */
  id: string;
  kind: ContractKind;
  schema: TSchema;
  /** For messages: the `type` discriminator on the wire. */
  messageType?: string;
}

const serverMessages: Array<[string, string, TSchema]> = [
  ['TrainingStartedEvent', 'training_started', ev.TrainingStartedEventSchema],
  ['TrainingProgressEvent', 'training_progress', ev.TrainingProgressEventSchema],
  ['TrainingCompletedEvent', 'training_completed', ev.TrainingCompletedEventSchema],
  ['TrainingStoppedEvent', 'training_stopped', ev.TrainingStoppedEventSchema],
  ['TrainingErrorEvent', 'training_error', ev.TrainingErrorEventSchema],
  ['ConnectionEstablished', 'connection_established', ev.ConnectionEstablishedSchema],
  ['SubscriptionConfirmed', 'subscription_confirmed', ev.SubscriptionConfirmedSchema],
  ['Unsubscribed', 'unsubscribed', ev.UnsubscribedSchema],
  ['Pong', 'pong', ev.PongSchema],
  ['ErrorMessage', 'error', ev.ErrorMessageSchema]
];

const clientMessages: Array<[string, string, TSchema]> = [
  ['SubscribeTraining', 'subscribe_training', cm.SubscribeTrainingSchema],
  ['UnsubscribeTraining', 'unsubscribe_training', cm.UnsubscribeTrainingSchema],
  ['Ping', 'ping', cm.PingSchema]
];

const rest: Array<[string, TSchema]> = [
  ['ErrorResponse', ErrorResponseSchema],
  ['HealthResponse', HealthResponseSchema],
  ['HealthUnhealthyResponse', HealthUnhealthyResponseSchema],
  ['StartTrainingBody', tr.StartTrainingBodySchema],
  ['StartTrainingResponse', tr.StartTrainingResponseSchema],
  ['StopTrainingBody', tr.StopTrainingBodySchema],
  ['StopTrainingResponse', tr.StopTrainingResponseSchema],
  ['TrainingStatusResponse', tr.TrainingStatusResponseSchema],
  ['RunListQuery', tr.RunListQuerySchema],
  ['RunListResponse', tr.RunListResponseSchema],
  ['RunParams', tr.RunParamsSchema],
  ['RunHistoryQuery', tr.RunHistoryQuerySchema],
  ['RunHistoryResponse', tr.RunHistoryResponseSchema],
  ['RunEventsQuery', tr.RunEventsQuerySchema],
  ['RunEventsResponse', tr.RunEventsResponseSchema],
  ['ScenarioParams', sc.ScenarioParamsSchema],
  ['ImportScenarioQuery', sc.ImportScenarioQuerySchema],
  ['ScenarioResponse', sc.ScenarioSchema],
  ['ScenarioBody', sc.ScenarioBodySchema],
  ['ScenarioUpdateBody', sc.ScenarioUpdateBodySchema],
  ['ScenarioListResponse', sc.ScenarioListResponseSchema],
  ['ScenarioTemplatesResponse', sc.ScenarioTemplatesResponseSchema],
  ['DeletedResponse', sc.DeletedResponseSchema],
  ['ModelParams', mo.ModelParamsSchema],
  ['ModelListResponse', mo.ModelListResponseSchema],
  ['ModelDetailResponse', mo.ModelDetailSchema],
  ['ModelExport', mo.ModelExportSchema],
  ['ImportModelBody', mo.ImportModelBodySchema],
  ['ImportModelQuery', mo.ImportModelQuerySchema],
  ['RunSimulationBody', si.RunSimulationBodySchema],
  ['SimulationParams', si.SimulationParamsSchema],
  ['SimulationResult', si.SimulationResultSchema],
  ['SimulationHistoryQuery', si.SimulationHistoryQuerySchema],
  ['SimulationHistoryResponse', si.SimulationHistoryResponseSchema],
  ['SimulationDeletedResponse', si.SimulationDeletedResponseSchema],
  ['GenerateReportBody', rp.GenerateReportBodySchema],
  ['ReportParams', rp.ReportParamsSchema],
  ['ReportMetadata', rp.ReportMetadataSchema],
  ['ReportListQuery', rp.ReportListQuerySchema],
  ['ReportListResponse', rp.ReportListResponseSchema],
  ['ReportDeletedResponse', rp.ReportDeletedResponseSchema]
];

const domain: Array<[string, TSchema]> = [
  ['Run', tr.RunSchema],
  ['RunEvent', ev.RunEventSchema],
  ['ServerMessage', ev.ServerMessageSchema],
  ['ClientMessage', cm.ClientMessageSchema],
  ['TrainingProgressData', ev.TrainingProgressDataSchema],
  ['FinalMetrics', ev.FinalMetricsSchema]
];

/** Every contract of the service; scripts/generate-schemas.ts writes one file per entry. */
export const contracts: Contract[] = [
  ...serverMessages.map(([id, messageType, schema]) => ({ id, kind: 'server-message' as const, messageType, schema })),
  ...clientMessages.map(([id, messageType, schema]) => ({ id, kind: 'client-message' as const, messageType, schema })),
  ...rest.map(([id, schema]) => ({ id, kind: 'rest' as const, schema })),
  ...domain.map(([id, schema]) => ({ id, kind: 'domain' as const, schema }))
];
