import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { ENV_NAMES } from '../../src/config.js';
import { ErrorCodeSchema } from '../../src/contracts/events.js';
import { contracts } from '../../src/contracts/registry.js';
import { ROOT } from '../client/helpers.js';
import { testConfig } from '../helpers/config.js';

// docs/protocol.md is written by hand; these checks keep it from drifting from the code:
// every route the service serves, every WebSocket message type and error code in the
// contracts, and every error code the service sends over REST is named in it.

const doc = await readFile(path.join(ROOT, 'docs/protocol.md'), 'utf8');
/** `text` in backticks, possibly at the start of a longer code span (`GET /x?limit=`). */
const mentioned = (text: string) => new RegExp('`' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?![\\w/-])[^`]*`').test(doc);

t.test('every route of the OpenAPI document is in docs/protocol.md', async (t) => {
  const app = await buildApp(testConfig({ dataDir: t.testdir() }));
  t.teardown(() => app.close());
  const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(openapi.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`)
  );
  t.ok(routes.length >= 30, `${routes.length} routes`);
  // Served beside the API but not part of its document.
  routes.push('GET /openapi.json', 'GET /docs', 'GET /asyncapi.json', 'GET /ws');
  t.same(routes.filter((r) => !mentioned(r)), [], 'routes missing from docs/protocol.md');
});

t.test('every WebSocket message type and error code of the contracts is in docs/protocol.md', async (t) => {
  const types = contracts.flatMap((c) => (c.messageType === undefined ? [] : [c.messageType]));
  t.ok(types.length >= 13, `${types.length} message types`);
  t.same(types.filter((type) => !mentioned(type)), [], 'message types missing');
  const codes = ErrorCodeSchema.anyOf.map((literal) => String(literal.const));
  t.ok(codes.includes('too_many_subscriptions'));
  t.same(codes.filter((code) => !mentioned(code)), [], 'error codes missing');
});

t.test('every error code the service sends over REST is in docs/protocol.md', async (t) => {
  const envNames = new Set(Object.values(ENV_NAMES));
  const codes = new Set<string>();
  const entries = await readdir(path.join(ROOT, 'src'), { withFileTypes: true, recursive: true });
  for (const file of entries.filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name)).map((e) => path.join(e.parentPath, e.name))) {
    for (const [, code] of (await readFile(file, 'utf8')).matchAll(/'((?:HRL|FST)_[A-Z_]+)'/g)) if (!envNames.has(code!)) codes.add(code!);
  }
  t.ok(codes.has('HRL_QUEUE_FULL') && codes.has('HRL_NOT_FOUND'), `${codes.size} codes found in src/`);
  t.same([...codes].filter((code) => !mentioned(code)), [], 'codes missing');
});

t.test('the documented limits name every variable that bounds a client', async (t) => {
  const variables = [
    'HRL_MAX_QUEUED_RUNS', 'HRL_REPORT_WORKERS', 'HRL_REPORT_QUEUE', 'HRL_WORKER_TIMEOUT_MS', 'HRL_WS_MAX_SUBSCRIPTIONS',
    'HRL_WS_HIGH_WATER_BYTES', 'HRL_WS_HARD_CAP_BYTES', 'HRL_WS_STALL_MS', 'HRL_MAX_CONNECTIONS', 'HRL_MAX_CONNECTIONS_PER_IP',
    'HRL_HTTP_MAX_CONNECTIONS', 'HRL_HTTP_HEADERS_TIMEOUT_MS', 'HRL_HTTP_REQUEST_TIMEOUT_MS', 'HRL_RATE_LIMIT',
    'HRL_AUTH_FAILURES_PER_MINUTE', 'HRL_MAX_EVENT_LOOP_DELAY_MS', 'HRL_ALLOWED_HOSTS', 'HRL_CORS_ORIGINS', 'HRL_PROGRESS_HZ',
    'HRL_REPLAY_WINDOW', 'HRL_HEARTBEAT_MS', 'HRL_KEEP_SIMULATIONS_PER_MODEL', 'HRL_KEEP_REPORTS_PER_SIMULATION'
  ];
  const settings = new Set(Object.values(ENV_NAMES));
  t.same(variables.filter((v) => !settings.has(v)), [], 'all are real settings');
  t.same(variables.filter((v) => !mentioned(v)), [], 'variables missing');
});

