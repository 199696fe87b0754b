import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { fixture } from '../helpers/app.js';

const READER = 'reader-token-1234';
const WRITER = 'writer-token-5678';
const ADMIN = 'admin-token-abcdef';

// One route (or more) from every group of docs/protocol.md §2, with the scope it needs.
const routes: Array<{ method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; scope: 'read' | 'write' }> = [
  { method: 'GET', url: '/api/scenarios', scope: 'read' },
  { method: 'GET', url: '/api/scenarios/templates', scope: 'read' },
  { method: 'GET', url: '/api/scenarios/some-name', scope: 'read' },
  { method: 'POST', url: '/api/scenarios', scope: 'write' },
  { method: 'PUT', url: '/api/scenarios/some-name', scope: 'write' },
  { method: 'DELETE', url: '/api/scenarios/some-name', scope: 'write' },
  { method: 'POST', url: '/api/scenarios/import?name=x', scope: 'write' },
  { method: 'GET', url: '/api/training/status', scope: 'read' },
  { method: 'GET', url: '/api/training/runs', scope: 'read' },
  { method: 'POST', url: '/api/training/start', scope: 'write' },
  { method: 'POST', url: '/api/training/stop', scope: 'write' },
  { method: 'GET', url: '/api/models', scope: 'read' },
  { method: 'DELETE', url: '/api/models/m', scope: 'write' },
  { method: 'POST', url: '/api/simulation/run', scope: 'write' },
  { method: 'GET', url: '/api/simulation/history', scope: 'read' },
  { method: 'POST', url: '/api/reports/generate', scope: 'write' },
  { method: 'GET', url: '/api/reports/list', scope: 'read' }
];

const logs: string[] = [];
let app: FastifyInstance;
let wsUrl: string;
t.before(async () => {
  app = await buildApp(
    // This file presents dozens of wrong tokens on purpose; the guessing limit has its own test.
    testConfig({
      dataDir: t.testdir(),
      logLevel: 'trace',
      tokens: `${READER}:read,${WRITER}:write,${ADMIN}:read+write`,
      authFailuresPerMinute: 1000
    }),
    { logStream: { write: (line: string) => void logs.push(line) } }
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  wsUrl = `ws://127.0.0.1:${port}/ws`;
});
t.teardown(() => app.close());

const call = (method: string, url: string, token?: string) =>
  app.inject({ method: method as 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

t.test('every route group answers 401 without a token, 403 without its scope, and passes auth with it', async (t) => {
  for (const route of routes) {
    const name = `${route.method} ${route.url}`;
    const none = await call(route.method, route.url);
    t.equal(none.statusCode, 401, `${name} without a token`);
    t.equal(none.headers['www-authenticate'], 'Bearer realm="hrl-finance"');
    t.equal((await call(route.method, route.url, 'not-a-real-token')).statusCode, 401, `${name} with an unknown token`);
    const wrong = route.scope === 'read' ? WRITER : READER;
    const forbidden = await call(route.method, route.url, wrong);
    t.equal(forbidden.statusCode, 403, `${name} without the ${route.scope} scope`);
    t.match(forbidden.json(), { code: 'HRL_FORBIDDEN', message: new RegExp(route.scope) });
    for (const token of [route.scope === 'read' ? READER : WRITER, ADMIN]) {
      const allowed = await call(route.method, route.url, token);
      t.notOk([401, 403].includes(allowed.statusCode), `${name} with the ${route.scope} scope → ${allowed.statusCode}`);
    }
  }
});

t.test('health stays public for load balancers', async (t) => {
  t.equal((await call('GET', '/health')).statusCode, 200);
});

t.test('a query-string token is accepted on the WebSocket only', async (t) => {
  t.equal((await app.inject({ method: 'GET', url: `/api/training/runs?token=${ADMIN}` })).statusCode, 401);
  const ws = new WebSocket(`${wsUrl}?token=${READER}`);
  const [data] = await once(ws, 'message');
  t.equal(JSON.parse(String(data)).type, 'connection_established');
  ws.close();
});

t.test('the WebSocket upgrade is refused with 401 / 403 before any frame is sent', async (t) => {
  const attempt = async (url: string, headers: Record<string, string> = {}) => {
    const ws = new WebSocket(url, { headers });
    let frames = 0;
    ws.on('message', () => frames++);
    ws.on('error', () => {}); // terminate() before the handshake reports an error by design
    const [, res] = await once(ws, 'unexpected-response');
    ws.terminate();
    return { status: (res as { statusCode: number }).statusCode, frames };
  };
  t.same(await attempt(wsUrl), { status: 401, frames: 0 });
  t.same(await attempt(`${wsUrl}?token=wrong-token-000`), { status: 401, frames: 0 });
  t.same(await attempt(`${wsUrl}?token=${WRITER}`), { status: 403, frames: 0 }, 'a write-only token cannot read');
  t.same(await attempt(wsUrl, { authorization: `Bearer ${WRITER}` }), { status: 403, frames: 0 });
  const ok = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${ADMIN}` } });
  const [data] = await once(ok, 'message');
  t.equal(JSON.parse(String(data)).type, 'connection_established');
  ok.close();
});

t.test('tokens never appear in the logs', async (t) => {
  await app.inject({
    method: 'POST',
    url: '/api/scenarios/import?name=logged',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/yaml' },
    payload: fixture('test_scenario')
  });
  const ws = new WebSocket(`${wsUrl}?token=${READER}`);
  await once(ws, 'message');
  ws.close();
  await once(ws, 'close');
  await call('GET', '/api/training/runs', 'wrong-secret-token-9');
  const text = logs.join('');
  t.ok(logs.length > 5, 'requests were logged');
  t.match(text, /token=\[redacted\]/, 'the /ws query token is redacted');
  for (const secret of [READER, WRITER, ADMIN, 'wrong-secret-token-9']) t.notOk(text.includes(secret), `${secret.slice(0, 6)}… not logged`);
});

t.test('a malformed HRL_TOKENS stops start-up without echoing the secret', async (t) => {
  const error = await buildApp(testConfig({ dataDir: t.testdir(), tokens: 'short:read' })).then(
    () => null,
    (e: Error) => e
  );
  t.match(error?.message, /HRL_TOKENS/);
  t.notOk(error?.message.includes('short'), 'the token is not in the message');
  await t.rejects(buildApp(testConfig({ dataDir: t.testdir(), tokens: 'long-enough-token:admin' })), /HRL_TOKENS.*read\|write/);
});

t.test('with no tokens configured the service is open and says so once at start-up', async (t) => {
  const lines: string[] = [];
  const open = await buildApp(testConfig({ dataDir: t.testdir(), logLevel: 'info' }), { logStream: { write: (l: string) => void lines.push(l) } });
  t.teardown(() => open.close());
  t.equal((await open.inject({ method: 'GET', url: '/api/training/runs' })).statusCode, 200);
  t.equal(lines.filter((l) => l.includes('the service is open')).length, 1);
});

t.test('tokens from HRL_TOKENS_FILE (one per line, # comments) work like HRL_TOKENS', async (t) => {
  const dir = t.testdir({ 'tokens.txt': `# ops tokens\nfile-reader-token:read   # dashboards\n\nfile-writer-token:read+write\n` });
  const fromFile = await buildApp(testConfig({ dataDir: dir, tokensFile: `${dir}/tokens.txt` }));
  t.teardown(() => fromFile.close());
  const get = (token?: string) =>
    fromFile.inject({ method: 'GET', url: '/api/training/runs', headers: token ? { authorization: `Bearer ${token}` } : {} });
  t.equal((await get()).statusCode, 401);
  t.equal((await get('file-reader-token')).statusCode, 200);
  const stop = await fromFile.inject({ method: 'POST', url: '/api/training/stop', headers: { authorization: 'Bearer file-reader-token' } });
  t.equal(stop.statusCode, 403, 'read scope cannot write');
  const stopAsWriter = await fromFile.inject({ method: 'POST', url: '/api/training/stop', headers: { authorization: 'Bearer file-writer-token' } });
  t.equal(stopAsWriter.statusCode, 409, 'write scope passes auth (no run is active)');
});


t.test('HRL_TOKENS_FILE or HRL_TOKENS that yield no token stop start-up instead of running open', async (t) => {
  const dir = t.testdir({ 'empty.txt': '', 'comments.txt': '# all tokens were revoked\n\n   # none left\n' });
  for (const file of ['empty.txt', 'comments.txt']) {
    await t.rejects(buildApp(testConfig({ dataDir: `${dir}/data`, tokensFile: `${dir}/${file}` })), {
      name: 'ConfigError',
      message: new RegExp(`HRL_TOKENS_FILE: .*${file} holds no token`)
    });
  }
  await t.rejects(buildApp(testConfig({ dataDir: `${dir}/data`, tokens: ' , ' })), { name: 'ConfigError', message: /HRL_TOKENS: it is set but holds no token/ });
});

t.test('the server process started with an empty HRL_TOKENS_FILE exits 1 with one line naming the variable', async (t) => {
  const dir = t.testdir({ 'tokens.txt': '# nothing here\n' });
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/server.ts', import.meta.url))], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', HRL_DATA_DIR: `${dir}/data`, HRL_TOKENS: '', HRL_TOKENS_FILE: `${dir}/tokens.txt` },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stdout += d));
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(stderr.trim(), /^Invalid configuration HRL_TOKENS_FILE: .*tokens\.txt holds no token/);
  t.notMatch(stdout, /Server listening/, 'it never listened');
});
