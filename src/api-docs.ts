import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

// The committed AsyncAPI document (generated into schemas/ from src/contracts); the same
// relative path works from src/ (tsx) and from dist/.
const asyncApiUrl = new URL('../schemas/asyncapi.json', import.meta.url);

/** `/api/scenarios/` → `/api/scenarios`: a prefix's root route is listed once, as clients call it. */
const withoutTrailingSlash = (url: string) => (url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url);

/**
 * OpenAPI 3.0 schema objects know `example`, not JSON Schema's `examples` array;
 * @fastify/swagger converts most but not those under `anyOf` (the run event envelopes).
 */
function examplesToExample(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(examplesToExample);
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (Array.isArray(o.examples)) {
    o.example ??= o.examples[0];
    delete o.examples;
  }
  for (const value of Object.values(o)) examplesToExample(value);
}

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
      },
      transform: ({ schema, url }) => ({ schema, url: withoutTrailingSlash(url) }),
      transformObject: (documentObject) => {
        const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
        examplesToExample(document.paths);
        return document;
      }
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });

    const asyncApi = JSON.parse(readFileSync(asyncApiUrl, 'utf8')) as { servers: Record<string, Record<string, unknown>> };
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    // The server entry names the host this request reached (behind a trusted proxy, the
    // forwarded one), so a generated client connects where the document came from.
    app.get('/asyncapi.json', { schema: { hide: true } }, async (request, reply) => {
      const servers = Object.fromEntries(
        Object.entries(asyncApi.servers).map(([name, server]) => [
          name,
          { ...server, host: request.host, protocol: request.protocol === 'https' ? 'wss' : 'ws', description: 'This service, at the host the document was requested from.' }
        ])
      );
      return reply.type('application/json').send({ ...asyncApi, servers });
    });
  },
  { name: 'api-docs' }
);
