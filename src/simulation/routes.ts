import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponseSchema } from '../contracts/common.js';
import {
  RunSimulationBodySchema,
  SimulationHistoryQuerySchema,
  SimulationHistoryResponseSchema,
  SimulationParamsSchema,
  SimulationDeletedResponseSchema,
  SimulationResultSchema,
  type SimulationResult
} from '../contracts/simulation.js';
import { notFound, ServiceBusyError } from '../errors.js';

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 422: ErrorResponseSchema, 500: ErrorResponseSchema, 503: ErrorResponseSchema };

/** Simulation routes of docs/protocol.md §2. */
export const simulationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { simulations } = app;

  app.post(
    '/run',
    {
      schema: {
        tags: ['simulation'],
        summary: "Simulate a model's policy (in a worker thread); answers with the full result",
        body: RunSimulationBodySchema,
        response: { 201: SimulationResultSchema, ...errors }
      }
    },
    async (request, reply) => {
      let result;
      try {
        result = await simulations.run(request.body);
      } catch (error) {
        if (error instanceof ServiceBusyError) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }
      reply.code(201);
      return result;
    }
  );

  app.get(
    '/results/:simulation_id',
    {
      schema: {
        tags: ['simulation'],
        summary: 'A stored simulation result',
        params: SimulationParamsSchema,
        response: { 200: SimulationResultSchema, ...errors }
      }
    },
    async (request) => {
      const stored = await app.storage.simulations.get(request.params.simulation_id);
      if (!stored) throw notFound('simulation', request.params.simulation_id);
      return stored.result as unknown as SimulationResult;
    }
  );

  app.delete(
    '/results/:simulation_id',
    {
      schema: {
        tags: ['simulation'],
        summary: 'Delete a stored simulation and its reports (records and files)',
        params: SimulationParamsSchema,
        response: { 200: SimulationDeletedResponseSchema, ...errors }
      }
    },
    async (request) => {
      const { simulation_id } = request.params;
      const reports = await simulations.delete(simulation_id);
      if (reports === undefined) throw notFound('simulation', simulation_id);
      return { message: `simulation ${JSON.stringify(simulation_id)} deleted with ${reports} report(s)`, simulation_id, reports_deleted: reports };
    }
  );

  app.get(
    '/history',
    {
      schema: {
        tags: ['simulation'],
        summary: 'Stored simulations, newest first',
        querystring: SimulationHistoryQuerySchema,
        response: { 200: SimulationHistoryResponseSchema, ...errors }
      }
    },
    async (request) => {
      const { limit = 100, offset = 0, model_name } = request.query;
      const { simulations: rows, total } = await app.storage.simulations.list({ limit, offset, ...(model_name ? { model_name } : {}) });
      return {
        simulations: rows.map(({ created_at, ...rest }) => ({ ...rest, timestamp: created_at })),
        total
      };
    }
  );
};
