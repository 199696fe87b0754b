import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

// The committed AsyncAPI document (generated into schemas/ from src/contracts); the same
// relative path works from src/ (tsx) and from dist/.
const asyncApiUrl = new URL('../schemas/asyncapi.json', import.meta.url);

/**
 * OpenAPI 3 generated from the route schemas (GET /openapi.json, UI at /docs) and the
 * AsyncAPI document of /ws (GET /asyncapi.json). Registered before the routes so
 * @fastify/swagger sees every one of them.
 */
export const apiDocsPlugin = fp(
  async (app: FastifyInstance, opts: { version: string }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'HRL Finance API',
          version: opts.version,
          description:
            'REST API of the HRL Finance backend (wire protocol v1). The live training events of /ws are described by /asyncapi.json.'
        },
        tags: [
          { name: 'health' },
          { name: 'scenarios' },
          { name: 'training' },
          { name: 'models' },
          { name: 'simulation' },
          { name: 'reports' }
        ]
      }
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });

    const asyncApi = readFileSync(asyncApiUrl, 'utf8');
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    app.get('/asyncapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json').send(asyncApi));
  },
  { name: 'api-docs' }
);
