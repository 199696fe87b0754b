import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponseSchema } from '../contracts/common.js';
import {
  DeletedResponseSchema,
  ImportScenarioQuerySchema,
  ScenarioBodySchema,
  ScenarioListResponseSchema,
  ScenarioParamsSchema,
  ScenarioSchema,
  ScenarioTemplatesResponseSchema,
  ScenarioUpdateBodySchema,
  ScenarioYamlBodySchema
} from '../contracts/scenarios.js';
import { conflict, notFound, ServiceError } from '../errors.js';
import { DEFAULT_CURRENCY, scenarioFromDocument, scenarioToYaml, ScenarioConfigError } from '../hrl/index.js';
import { ConflictError, type ScenarioRecord } from '../storage/index.js';
import { badRequest, checkCurrency, checkScenarioName, configFromBody, listItem, rejectBadBodyName } from './scenarios.js';
import { SCENARIO_TEMPLATES } from './templates.js';
import { parseBoundedYaml, readYamlBody, requireYamlContentType, warmYamlParser, YAML_CONTENT_TYPES, YAML_LIMITS } from './yaml-import.js';

const YAML_TYPES = [...YAML_CONTENT_TYPES];
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };

const toWire = (s: ScenarioRecord) => ({
  name: s.name,
  description: s.description,
  currency: s.currency ?? DEFAULT_CURRENCY,
  ...s.config,
  created_at: s.created_at,
  updated_at: s.updated_at
});

const exists = (name: string) => conflict('HRL_SCENARIO_EXISTS', `scenario ${JSON.stringify(name)} already exists`);

/** Scenario routes of docs/protocol.md §2: CRUD, templates, and the original YAML format in and out. */
export const scenarioRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage } = app;
  /** Stores a new scenario; a taken name is a 409 and the stored one stays as it was. */
  const insert = async (record: ScenarioRecord) => {
    try {
      await storage.scenarios.insert(record);
    } catch (error) {
      if (error instanceof ConflictError) throw exists(record.name);
      throw error;
    }
  };
  app.addContentTypeParser(YAML_TYPES, readYamlBody);
  warmYamlParser();

  app.get(
    '/',
    { schema: { tags: ['scenarios'], summary: 'List scenarios, newest first', response: { 200: ScenarioListResponseSchema } } },
    async () => {
      const scenarios = (await storage.scenarios.list()).map(listItem);
      return { scenarios, total: scenarios.length };
    }
  );

  app.get(
    '/templates',
    { schema: { tags: ['scenarios'], summary: "The original's five scenario templates", response: { 200: ScenarioTemplatesResponseSchema } } },
    async () => ({ templates: [...SCENARIO_TEMPLATES] })
  );

  app.post(
    '/',
    {
      schema: { tags: ['scenarios'], summary: 'Create a scenario', body: ScenarioBodySchema, response: { 201: ScenarioSchema, ...errors } },
      preValidation: rejectBadBodyName
    },
    async (request, reply) => {
      const { name, description = '', currency = DEFAULT_CURRENCY } = request.body;
      checkScenarioName(name);
      checkCurrency(currency);
      const now = new Date().toISOString();
      const record: ScenarioRecord = { name, description, currency, config: configFromBody(request.body), created_at: now, updated_at: now };
      await insert(record);
      reply.code(201);
      return toWire(record);
    }
  );

  app.post(
    '/import',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Import a scenario file in the original YAML format',
        consumes: YAML_TYPES,
        querystring: ImportScenarioQuerySchema,
        body: ScenarioYamlBodySchema,
        response: { 201: ScenarioSchema, ...errors, 413: ErrorResponseSchema, 415: ErrorResponseSchema }
      },
      // Refused before a byte of the body is read; the parser itself stops at YAML_LIMITS.bytes.
      onRequest: requireYamlContentType,
      bodyLimit: YAML_LIMITS.bytes
    },
    async (request, reply) => {
      let parsed: ReturnType<typeof scenarioFromDocument>;
      try {
        parsed = scenarioFromDocument(parseBoundedYaml(request.body));
      } catch (error) {
        if (error instanceof ScenarioConfigError) throw badRequest(`body: ${error.message}`);
        if (error instanceof ServiceError) throw error;
        throw badRequest(`body is not a valid scenario file: ${(error as Error).message}`);
      }
      const name = request.query.name ?? parsed.name;
      if (name === undefined) throw badRequest("querystring/name is required when the file has no top-level 'name'");
      checkScenarioName(name, request.query.name === undefined ? 'name (in the file)' : 'querystring/name');
      const description = parsed.description ?? '';
      if (description.length > 500) throw badRequest('description must have at most 500 characters');
      const now = new Date().toISOString();
      const record: ScenarioRecord = { name, description, currency: parsed.currency ?? DEFAULT_CURRENCY, config: parsed.config, created_at: now, updated_at: now };
      await insert(record);
      reply.code(201);
      return toWire(record);
    }
  );

  app.get(
    '/:name',
    { schema: { tags: ['scenarios'], summary: 'A scenario with its configuration', params: ScenarioParamsSchema, response: { 200: ScenarioSchema, ...errors } } },
    async (request) => {
      const scenario = await storage.scenarios.get(request.params.name);
      if (!scenario) throw notFound('scenario', request.params.name);
      return toWire(scenario);
    }
  );

  app.put(
    '/:name',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Replace a scenario; a different body name renames it atomically',
        params: ScenarioParamsSchema,
        body: ScenarioUpdateBodySchema,
        response: { 200: ScenarioSchema, ...errors }
      },
      preValidation: rejectBadBodyName
    },
    async (request) => {
      const current = request.params.name;
      const name = request.body.name ?? current;
      checkScenarioName(name);
      const currency = request.body.currency ?? DEFAULT_CURRENCY;
      checkCurrency(currency);
      const config = configFromBody(request.body);
      const existing = await storage.scenarios.get(current);
      if (!existing) throw notFound('scenario', current);
      const record: ScenarioRecord = {
        name,
        description: request.body.description ?? '',
        currency,
        config,
        created_at: existing.created_at,
        updated_at: new Date().toISOString()
      };
      let updated: boolean;
      try {
        // One UPDATE: the old name is replaced by the new one with no window where neither exists.
        updated = await storage.scenarios.update(current, record);
      } catch (error) {
        if (error instanceof ConflictError) throw exists(name);
        throw error;
      }
      if (!updated) throw notFound('scenario', current);
      return toWire(record);
    }
  );

  app.delete(
    '/:name',
    { schema: { tags: ['scenarios'], summary: 'Delete a scenario', params: ScenarioParamsSchema, response: { 200: DeletedResponseSchema, ...errors } } },
    async (request) => {
      const { name } = request.params;
      if (!(await storage.scenarios.delete(name))) throw notFound('scenario', name);
      return { message: `scenario ${JSON.stringify(name)} deleted`, name };
    }
  );

  app.get(
    '/:name/export',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'The scenario in the original YAML format (importable again)',
        produces: ['application/yaml'],
        params: ScenarioParamsSchema,
        response: { 200: Type.String({ description: 'YAML' }), ...errors }
      }
    },
    async (request, reply) => {
      const scenario = await storage.scenarios.get(request.params.name);
      if (!scenario) throw notFound('scenario', request.params.name);
      reply
        .type('application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${scenario.name}.yaml"`);
      return scenarioToYaml(scenario.config, { name: scenario.name, description: scenario.description, currency: scenario.currency });
    }
  );
};
