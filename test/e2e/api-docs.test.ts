import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const app = await buildApp(loadConfig({}, { dataDir: t.testdir(), workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;

// docs/protocol.md §2, with Fastify's path syntax turned into OpenAPI's.
const ROUTES: Array<[string, string]> = [
  ['get', '/health'],
  ['get', '/api/scenarios/'],
  ['get', '/api/scenarios/templates'],
  ['get', '/api/scenarios/{name}'],
  ['post', '/api/scenarios/'],
  ['put', '/api/scenarios/{name}'],
  ['delete', '/api/scenarios/{name}'],
  ['get', '/api/scenarios/{name}/export'],
  ['post', '/api/scenarios/import'],
  ['post', '/api/training/start'],
  ['post', '/api/training/stop'],
  ['get', '/api/training/status'],
  ['get', '/api/training/runs'],
  ['get', '/api/training/runs/{run_id}'],
  ['get', '/api/training/runs/{run_id}/history'],
  ['get', '/api/training/runs/{run_id}/events'],
  ['get', '/api/models/'],
  ['get', '/api/models/{name}'],
  ['delete', '/api/models/{name}'],
  ['get', '/api/models/{name}/export'],
  ['post', '/api/models/import'],
  ['post', '/api/simulation/run'],
  ['get', '/api/simulation/results/{simulation_id}'],
  ['get', '/api/simulation/history'],
  ['post', '/api/reports/generate'],
  ['get', '/api/reports/list'],
  ['get', '/api/reports/{report_id}'],
  ['get', '/api/reports/{report_id}/metadata']
];

t.test('serves an OpenAPI 3 document generated from the route schemas', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as Json;
  t.match(doc.openapi, /^3\./);
  t.equal(doc.info.title, 'HRL Finance API');
  for (const [method, path] of ROUTES) {
    const op = doc.paths[path]?.[method];
    t.ok(op, `${method.toUpperCase()} ${path} is documented`);
    if (!op) continue;
    t.ok(Object.keys(op.responses ?? {}).some((code) => code.startsWith('2')), `${method.toUpperCase()} ${path} declares its success response`);
  }
  const create = doc.paths['/api/scenarios/'].post;
  t.ok(create.requestBody.content['application/json'].schema, 'bodies are documented');
  t.ok(create.responses['400'] && create.responses['409'], 'error responses are documented');
  t.notOk(doc.paths['/openapi.json'], 'the document does not list itself');
});

t.test('serves the interactive docs at /docs', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/docs' });
  t.equal(res.statusCode, 200);
  t.match(res.body, /swagger-ui/i);
});

t.test('serves the committed AsyncAPI document of /ws', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/asyncapi.json' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  t.equal(res.body, readFileSync(new URL('../../schemas/asyncapi.json', import.meta.url), 'utf8'));
});
