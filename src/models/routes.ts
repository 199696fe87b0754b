import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponseSchema } from '../contracts/common.js';
import type { FinalMetrics } from '../contracts/events.js';
import {
  ImportModelBodySchema,
  ImportModelQuerySchema,
  MAX_MODEL_IMPORT_BYTES,
  ModelDetailSchema,
  ModelExportSchema,
  ModelListResponseSchema,
  ModelParamsSchema,
  type ModelExport
} from '../contracts/models.js';
import { DeletedResponseSchema } from '../contracts/scenarios.js';
import { conflict, notFound, ServiceError } from '../errors.js';
import { loadModel, ModelFormatError } from '../hrl/index.js';
import { ConflictError } from '../storage/index.js';

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema, 413: ErrorResponseSchema };

/** Model routes of docs/protocol.md §2, plus import of an exported model. */
export const modelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, models } = app;

  app.get(
    '/',
    { schema: { tags: ['models'], summary: 'Saved models, newest first', response: { 200: ModelListResponseSchema } } },
    async () => {
      const list = await models.list();
      return { models: list, total: list.length };
    }
  );

  app.get(
    '/:name',
    {
      schema: {
        tags: ['models'],
        summary: 'A model with its configs, per-metric training history summary and final metrics',
        params: ModelParamsSchema,
        response: { 200: ModelDetailSchema, ...errors }
      }
    },
    async (request) => {
      const detail = await models.detail(request.params.name);
      if (!detail) throw notFound('model', request.params.name);
      return detail;
    }
  );

  app.delete(
    '/:name',
    { schema: { tags: ['models'], summary: 'Delete a model', params: ModelParamsSchema, response: { 200: DeletedResponseSchema, ...errors } } },
    async (request) => {
      const { name } = request.params;
      if (!(await storage.models.delete(name))) throw notFound('model', name);
      return { message: `model ${JSON.stringify(name)} deleted`, name };
    }
  );

  app.get(
    '/:name/export',
    {
      schema: {
        tags: ['models'],
        summary: 'Weights and config as JSON (importable with POST /api/models/import)',
        params: ModelParamsSchema,
        response: { 200: ModelExportSchema, ...errors }
      }
    },
    async (request, reply): Promise<ModelExport> => {
      const model = await storage.models.get(request.params.name);
      if (!model) throw notFound('model', request.params.name);
      reply.header('content-disposition', `attachment; filename="${model.name}.json"`);
      return {
        format: 'hrl-finance-model-export',
        version: 1,
        name: model.name,
        scenario_name: model.scenario_name,
        trained_at: model.created_at,
        episodes: model.episodes,
        final_metrics: model.final_metrics as FinalMetrics | null,
        model: model.model
      };
    }
  );

  app.post(
    '/import',
    {
      bodyLimit: MAX_MODEL_IMPORT_BYTES,
      schema: {
        tags: ['models'],
        summary: 'Import an exported model (?name= stores it under another name)',
        querystring: ImportModelQuerySchema,
        body: ImportModelBodySchema,
        response: { 201: ModelDetailSchema, ...errors }
      }
    },
    async (request, reply) => {
      const body = request.body;
      let model;
      try {
        model = loadModel(body.model);
      } catch (error) {
        if (error instanceof ModelFormatError) throw new ServiceError(400, 'FST_ERR_VALIDATION', `body/${error.message}`);
        throw error;
      }
      const name = request.query.name ?? body.name;
      try {
        await storage.models.insert({
          name,
          scenario_name: body.scenario_name,
          // The run's history stays with the run it came from; an imported model has none here.
          run_id: null,
          created_at: new Date().toISOString(),
          episodes: body.episodes,
          final_metrics: body.final_metrics,
          model
        });
      } catch (error) {
        if (error instanceof ConflictError) throw conflict('HRL_MODEL_EXISTS', `model ${JSON.stringify(name)} already exists; import it with ?name=<another name>`);
        throw error;
      }
      const detail = await models.detail(name);
      if (!detail) throw notFound('model', name);
      reply.code(201);
      return detail;
    }
  );
};
