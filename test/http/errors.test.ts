import t, { type Test } from 'tap';
import { once } from 'node:events';
import path from 'node:path';
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { buildApp } from '../../src/app.js';
import { fixture } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { raw, tryUpgrade } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A real server on port 0 whose log lines the test reads. */
async function serverWithLogs(t: Test) {
  const dataDir = t.testdir();
  const logs: Array<Record<string, any>> = [];
  const app = await buildApp(testConfig({ dataDir, logLevel: 'info' }), { logStream: { write: (l: string) => void logs.push(JSON.parse(l)) } });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { app, logs, url: `http://127.0.0.1:${port}`, database: path.join(dataDir, 'hrl-finance.sqlite') };
}

/** A second connection to the service's own database file, to make real database failures. */
function sabotage(t: Test, file: string, sql: string) {
  const db = new Database(file);
  t.teardown(() => db.close());
  db.exec(sql);
}

t.test('a failing database answers 500 with a generic message and a request_id; the details go to the log', async (t) => {
  const server = await serverWithLogs(t);
  sabotage(
    t,
    server.database,
    `CREATE TRIGGER leak BEFORE INSERT ON scenarios BEGIN
       SELECT RAISE(ABORT, 'CHECK constraint failed: scenarios_secret_chk in /srv/secret/hrl-finance.sqlite');
     END;
     DROP TABLE models;`
  );
  const create = await raw(`${server.url}/api/scenarios/import?name=will-fail`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: fixture('test_scenario')
  });
  const list = await raw(`${server.url}/api/models`);
  for (const [what, res] of [['a write', create], ['a read', list]] as const) {
    t.equal(res.status, 500, what);
    const body = res.json();
    t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'request_id', 'statusCode'], `${what}: the usual error shape plus request_id`);
    t.match(body, { statusCode: 500, code: 'HRL_INTERNAL_ERROR', error: 'Internal Server Error', message: /quote the request_id/ });
    t.match(body.request_id, UUID);
    t.notMatch(res.body, /SQLITE|constraint|scenarios_secret_chk|\/srv\/secret|no such table|models/i, `${what}: nothing of the database reaches the client`);
    const logged = server.logs.find((l) => l.reqId === body.request_id && l.level >= 50);
    t.ok(logged, `${what}: logged at error level under the same request id`);
    t.match(logged?.err?.code, /^SQLITE_/, `${what}: the log keeps the database code`);
  }
  t.match(server.logs.find((l) => l.err?.message?.includes('scenarios_secret_chk')), { reqId: create.json().request_id });
  t.not(create.json().request_id, list.json().request_id, 'every request has its own id');
});

t.test('client errors keep their message naming the field, without a request_id', async (t) => {
  const server = await serverWithLogs(t);
  const res = await raw(`${server.url}/api/training/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"num_episodes": 0}' });
  t.equal(res.status, 400);
  t.match(res.json(), { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: /scenario_name|num_episodes/ });
  t.notOk('request_id' in res.json());
  const broken = await raw(`${server.url}/api/training/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"scenario_name":' });
  t.equal(broken.status, 400, 'invalid JSON is the client’s error');
});

t.test('integers in the URL beyond the safe range are a 400 naming the field on every route', async (t) => {
  const server = await serverWithLogs(t);
  const spec = (await raw(`${server.url}/openapi.json`)).json() as {
    paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema: { type?: string } }> }>>;
  };
  let checked = 0;
  for (const [route, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const param of operation.parameters ?? []) {
        if (param.schema.type !== 'integer') continue;
        t.equal((param.schema as { maximum?: number }).maximum !== undefined, true, `${route} ${param.name} documents a maximum`);
        for (const value of ['99999999999999999999', '9007199254740993', '-99999999999999999999', '1e300']) {
          const url = `${route.replace(/\{[^}]+\}/g, 'x')}`;
          const res =
            param.in === 'query'
              ? await server.app.inject({ method: method.toUpperCase() as 'GET', url: `${url}?${param.name}=${value}` })
              : await server.app.inject({ method: method.toUpperCase() as 'GET', url: route.replace(`{${param.name}}`, value).replace(/\{[^}]+\}/g, 'x') });
          t.equal(res.statusCode, 400, `${method.toUpperCase()} ${route} ${param.name}=${value}`);
          t.match(res.json().message, new RegExp(`${param.in === 'query' ? 'querystring' : 'params'}/${param.name} must be`));
          checked++;
        }
      }
    }
  }
  t.ok(checked >= 12, `${checked} out-of-range values checked`);
  t.equal((await server.app.inject({ url: '/api/training/runs?offset=9007199254740991' })).statusCode, 200, 'the largest safe offset is fine');
});

t.test('a 503 said on purpose keeps its message and carries a request_id too', async (t) => {
  const app = await buildApp(testConfig({ dataDir: t.testdir(), maxConnections: 1 }));
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const first = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  t.teardown(() => first.terminate());
  await once(first, 'open');
  const second = await tryUpgrade(`ws://127.0.0.1:${port}/ws`);
  t.equal(second.status, 503);
  const body = JSON.parse(second.body);
  t.match(body, { statusCode: 503, code: 'HRL_TOO_MANY_CONNECTIONS', message: /maximum of 1 WebSocket connections/ });
  t.match(body.request_id, UUID);
});
