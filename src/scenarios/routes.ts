import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ErrorResponseSchema, ScenarioNameSchema } from '../contracts/common.js';
import { ImportScenarioQuerySchema, ScenarioParamsSchema, ScenarioSchema, ScenarioYamlBodySchema } from '../contracts/scenarios.js';
import { conflict, notFound, ServiceError } from '../errors.js';
import { parseScenarioYaml, ScenarioConfigError } from '../hrl/index.js';
import { ConflictError, type ScenarioRecord } from '../storage/index.js';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const validName = TypeCompiler.Compile(ScenarioNameSchema);
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };

const toWire = (s: ScenarioRecord) => ({
  name: s.name,
  description: s.description,
  ...s.config,
  created_at: s.created_at,
  updated_at: s.updated_at
});

const badRequest = (message: string) => new ServiceError(400, 'FST_ERR_VALIDATION', message);

/** Scenario routes needed to train: import of the original YAML files and detail. */
export const scenarioRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post(
    '/import',
    {
      schema: {
        tags: ['scenarios'],
        consumes: YAML_TYPES,
        querystring: ImportScenarioQuerySchema,
        body: ScenarioYamlBodySchema,
        response: { 201: ScenarioSchema, ...errors }
      }
    },
    async (request, reply) => {
      let parsed: ReturnType<typeof parseScenarioYaml>;
      try {
        parsed = parseScenarioYaml(request.body);
      } catch (error) {
        if (error instanceof ScenarioConfigError) throw badRequest(`body: ${error.message}`);
        throw badRequest(`body is not a valid scenario file: ${(error as Error).message}`);
      }
      const name = request.query.name ?? parsed.name;
      if (name === undefined) throw badRequest("querystring/name is required when the file has no top-level 'name'");
      if (!validName.Check(name)) {
        throw badRequest(`name ${JSON.stringify(name)} must be 1-100 characters of letters, digits, '_', '.', '-', starting with a letter or digit`);
      }
      const now = new Date().toISOString();
      const record: ScenarioRecord = { name, description: parsed.description ?? '', config: parsed.config, created_at: now, updated_at: now };
      try {
        await app.storage.scenarios.insert(record);
      } catch (error) {
        if (error instanceof ConflictError) throw conflict('HRL_SCENARIO_EXISTS', `scenario ${JSON.stringify(name)} already exists`);
        throw error;
      }
      reply.code(201);
      return toWire(record);
    }
  );

  app.get(
    '/:name',
    { schema: { tags: ['scenarios'], params: ScenarioParamsSchema, response: { 200: ScenarioSchema, ...errors } } },
    async (request) => {
      const scenario = await app.storage.scenarios.get(request.params.name);
      if (!scenario) throw notFound('scenario', request.params.name);
      return toWire(scenario);
    }
  );
};
