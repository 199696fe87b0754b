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
  ['get', '/api/scenarios'],
  ['get', '/api/scenarios/templates'],
  ['get', '/api/scenarios/{name}'],
  ['post', '/api/scenarios'],
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
  ['get', '/api/models'],
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
  const create = doc.paths['/api/scenarios'].post;
  t.ok(create.requestBody.content['application/json'].schema, 'bodies are documented');
  t.ok(create.responses['400'] && create.responses['409'], 'error responses are documented');
  t.notOk(doc.paths['/openapi.json'], 'the document does not list itself');
});

t.test('serves the interactive docs at /docs', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/docs' });
  t.equal(res.statusCode, 200);
  t.match(res.body, /swagger-ui/i);
});

t.test('every operation has a summary and is listed once, without a trailing slash', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as Json;
  const paths = Object.keys(doc.paths);
  t.same(paths.filter((p) => p.length > 1 && p.endsWith('/')), [], 'no path ends with /');
  t.equal(new Set(paths.map((p) => p.replace(/\/$/, ''))).size, paths.length, 'no path twice');
  for (const [path, ops] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      t.ok(typeof op.summary === 'string' && op.summary.length > 0, `${method.toUpperCase()} ${path} has a summary`);
    }
  }
});

t.test('examples are realistic: scenario names are templates, ids have the server\'s shape', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as Json;
  const templates = ((await app.inject({ method: 'GET', url: '/api/scenarios/templates' })).json() as { templates: Array<{ name: string }> }).templates.map((x) => x.name);
  // Every string with a pattern carries an example (else Swagger UI makes up a random
  // string); every example of a scenario name is a template the user can create at once.
  const missing: string[] = [];
  const scenarioExamples: unknown[] = [];
  // A parameter carries its example beside its schema; a property inside its schema.
  const walk = (node: unknown, where: string, key: string, outerExample?: unknown): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}/${i}`, key));
    if (node === null || typeof node !== 'object') return;
    const o = node as Json;
    if (typeof o.pattern === 'string') {
      const example = o.example ?? outerExample;
      if (example === undefined) missing.push(where);
      else t.match(example, new RegExp(o.pattern), `${where}: the example fits the pattern`);
      if (key === 'scenario_name' || (key === 'name' && !where.includes('/api/models'))) scenarioExamples.push(example);
    }
    t.notOk(Array.isArray(o.examples), `${where}: OpenAPI 3.0 has example, not examples`);
    for (const [k, v] of Object.entries(o)) {
      const isParam = k === 'schema' && typeof o.in === 'string';
      walk(v, `${where}/${k}`, isParam ? o.name : k, isParam ? o.example : undefined);
    }
  };
  walk(doc.paths, '', '');
  t.same(missing, [], 'no pattern string without an example');
  t.ok(scenarioExamples.length > 5);
  t.same(scenarioExamples.filter((e) => !templates.includes(e as string)), [], `scenario names in examples are among ${templates.join(', ')}`);
});

t.test('serves the AsyncAPI document of /ws with the server the request reached', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/asyncapi.json', headers: { host: '127.0.0.1:4321' } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const served = res.json() as Json;
  const committed = JSON.parse(readFileSync(new URL('../../schemas/asyncapi.json', import.meta.url), 'utf8')) as Json;
  t.same(Object.keys(served.servers), Object.keys(committed.servers));
  for (const server of Object.values(served.servers as Json)) {
    t.equal(server.host, '127.0.0.1:4321', 'the host of the request, not a fixed localhost:8000');
    t.equal(server.protocol, 'ws');
  }
  t.same({ ...served, servers: undefined }, { ...committed, servers: undefined }, 'everything else is the committed document');
});
