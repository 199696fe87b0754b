import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponseSchema } from '../contracts/common.js';
import {
  RunEventsQuerySchema,
  RunEventsResponseSchema,
  HISTORY_PAGE_MAX,
  RunHistoryQuerySchema,
  RunHistoryResponseSchema,
  RunListQuerySchema,
  RunListResponseSchema,
  RunParamsSchema,
  RunSchema,
  StartTrainingBodySchema,
  StartTrainingResponseSchema,
  StopTrainingBodySchema,
  StopTrainingResponseSchema,
  TrainingStatusResponseSchema,
  type StartTrainingRequest
} from '../contracts/training.js';
import { notFound, ServiceBusyError } from '../errors.js';

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };

/** Training routes of docs/protocol.md §2. */
export const trainingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { training, storage } = app;

  const findRun = async (runId: string) => {
    const run = training.activeRecord(runId) ?? (await storage.runs.get(runId));
    if (!run) throw notFound('run', runId);
    return run;
  };

  app.post(
    '/start',
    { schema: { tags: ['training'], summary: 'Start a training run (202; queued when every worker is busy)', body: StartTrainingBodySchema, response: { 202: StartTrainingResponseSchema, ...errors, 503: ErrorResponseSchema } } },
    async (request, reply) => {
      // Fastify's ajv has already filled the schema's defaults in.
      let started;
      try {
        started = await training.start(request.body as StartTrainingRequest);
      } catch (error) {
        if (error instanceof ServiceBusyError) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }
      const { run, status } = started;
      reply.code(202);
      return {
        message: status === 'started' ? 'training started' : 'training queued: every worker is busy',
        data: {
          status,
          run_id: run.run_id,
          scenario_name: run.scenario_name,
          num_episodes: run.num_episodes,
          start_time: run.started_at ?? run.created_at,
          seed: run.seed
        }
      };
    }
  );

  app.post(
    '/stop',
    {
      schema: { tags: ['training'], summary: 'Stop a run (without run_id: the only active one)', body: StopTrainingBodySchema, response: { 200: StopTrainingResponseSchema, ...errors } },
      // The body is optional: a bare POST stops the only active run.
      preValidation: async (request) => {
        request.body ??= {};
      }
    },
    async (request) => {
      const { run, status } = await training.stop(request.body?.run_id);
      return {
        message: status === 'stopped' ? 'run stopped' : 'stop requested: the run ends after the current episode',
        data: {
          status,
          run_id: run.run_id,
          scenario_name: run.scenario_name,
          episodes_completed: run.episodes_completed,
          total_episodes: run.num_episodes
        }
      };
    }
  );

  app.get('/status', { schema: { tags: ['training'], summary: 'The active run, or the latest one (the original system\'s shape)', response: { 200: TrainingStatusResponseSchema } } }, async () => {
    const run = await training.currentOrLatest();
    const active = run !== undefined && (run.status === 'running' || run.status === 'queued');
    return {
      is_training: active,
      scenario_name: run?.scenario_name ?? null,
      current_episode: run?.episodes_completed ?? 0,
      total_episodes: run?.num_episodes ?? 0,
      start_time: run?.started_at ?? null,
      latest_progress: run?.latest_progress ?? null,
      run_id: run?.run_id ?? null,
      status: run?.status ?? null
    };
  });

  app.get(
    '/runs',
    { schema: { tags: ['training'], summary: 'Runs, newest first, filtered by scenario and status', querystring: RunListQuerySchema, response: { 200: RunListResponseSchema, 400: ErrorResponseSchema } } },
    async (request) => {
      // Fastify's ajv has filled limit and offset with the schema's defaults.
      const { runs, total } = await storage.runs.list(request.query as typeof request.query & { limit: number; offset: number });
      return { runs: runs.map((r) => training.activeRecord(r.run_id) ?? r), total };
    }
  );

  app.get(
    '/runs/:run_id',
    { schema: { tags: ['training'], summary: 'One run with its status and latest progress', params: RunParamsSchema, response: { 200: RunSchema, ...errors } } },
    async (request) => findRun(request.params.run_id)
  );

  app.get(
    '/runs/:run_id/history',
    {
      schema: {
        tags: ['training'],
        summary: 'A run\'s episode metrics, paged beyond 10,000 episodes',
        params: RunParamsSchema,
        querystring: RunHistoryQuerySchema,
        response: { 200: RunHistoryResponseSchema, ...errors }
      }
    },
    async (request) => {
      const { run_id } = await findRun(request.params.run_id);
      const limit = request.query.limit ?? HISTORY_PAGE_MAX;
      // One row more than the page tells whether another page follows.
      const rows = await storage.episodes.page(run_id, request.query.after_episode ?? 0, limit + 1);
      const episodes = rows.slice(0, limit);
      return { run_id, episodes, next_after_episode: rows.length > limit ? episodes[episodes.length - 1]!.episode : null };
    }
  );

  app.get(
    '/runs/:run_id/events',
    {
      schema: {
        tags: ['training'],
        summary: 'A run\'s events after a seq: the envelopes the WebSocket sends',
        params: RunParamsSchema,
        querystring: RunEventsQuerySchema,
        response: { 200: RunEventsResponseSchema, ...errors }
      }
    },
    async (request) => {
      const { run_id } = await findRun(request.params.run_id);
      const { after_seq, limit } = request.query as { after_seq: number; limit: number }; // schema defaults applied
      const { events } = await app.bus.readAfter(run_id, after_seq, limit);
      return { run_id, events };
    }
  );
};
