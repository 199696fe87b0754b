import t from 'tap';
import { once } from 'node:events';
import { buildApp } from '../../src/app.js';
import { fixture, startServer } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { raw, tryUpgrade } from './helpers.js';

const portOf = (url: string) => new URL(url).port;

t.test('with the default loopback HOST only loopback Host values are served (DNS rebinding)', async (t) => {
  const server = await startServer(t);
  const port = portOf(server.url);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', `LOCALHOST:${port}`, '127.0.0.2']) {
    t.equal((await raw(`${server.url}/api/training/runs`, { headers: { host } })).status, 200, `Host: ${host}`);
  }
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `localhost@evil.example`, '10.0.0.5']) {
    const res = await raw(`${server.url}/api/training/runs`, { headers: { host } });
    t.equal(res.status, 403, `Host: ${host}`);
    t.match(res.json(), { code: 'HRL_HOST_NOT_ALLOWED', message: /is not served here.*HRL_ALLOWED_HOSTS/ });
  }
  const write = await raw(`${server.url}/api/training/stop`, { method: 'POST', headers: { host: `evil.example:${port}` } });
  t.equal(write.status, 403, 'a rebound write is refused too');
});

t.test('the /ws upgrade under a foreign Host is refused with an HTTP error, no frame sent', async (t) => {
  const server = await startServer(t);
  const refused = await tryUpgrade(server.wsUrl, { headers: { host: 'evil.example' } });
  t.equal(refused.status, 403);
  t.equal(refused.frames, 0);
  t.match(JSON.parse(refused.body), { code: 'HRL_HOST_NOT_ALLOWED' });
  t.equal((await tryUpgrade(server.wsUrl)).status, 101, 'the loopback address still connects');
});

t.test('a non-loopback HOST serves exactly HRL_ALLOWED_HOSTS', async (t) => {
  const server = await startServer(t, { host: '0.0.0.0', allowedHosts: 'finance.example, 10.0.0.5:8000' });
  const status = async (host: string) => (await raw(`${server.url}/api/training/runs`, { headers: { host } })).status;
  t.equal(await status('finance.example'), 200, 'a listed name on the default port');
  t.equal(await status('FINANCE.example:8443'), 200, 'a listed name without a port matches any port');
  t.equal(await status('10.0.0.5:8000'), 200, 'a listed host:port');
  t.equal(await status('10.0.0.5:9000'), 403, 'the same host on another port');
  t.equal(await status(`127.0.0.1:${portOf(server.url)}`), 403, 'loopback is not implied once HOST is not loopback');
  t.equal(await status('evil.example'), 403);
  t.equal((await tryUpgrade(server.wsUrl, { headers: { host: 'finance.example' } })).status, 101, '/ws under a listed name');
});

t.test('HRL_ALLOWED_HOSTS=* accepts any Host (a proxy in front checks it)', async (t) => {
  const server = await startServer(t, { host: '0.0.0.0', allowedHosts: '*' });
  t.equal((await raw(`${server.url}/health`, { headers: { host: 'anything.example' } })).status, 200);
});

t.test('a network HOST without HRL_ALLOWED_HOSTS, or a malformed entry, stops start-up naming the setting', async (t) => {
  await t.rejects(buildApp(testConfig({ dataDir: t.testdir(), host: '0.0.0.0' })), { name: 'ConfigError', message: /HRL_ALLOWED_HOSTS.*HOST=0\.0\.0\.0/ });
  await t.rejects(buildApp(testConfig({ dataDir: t.testdir(), allowedHosts: 'ok.example, bad host/x' })), {
    name: 'ConfigError',
    message: /HRL_ALLOWED_HOSTS: "bad host\/x" is not a host or host:port/
  });
});

t.test('cross-origin writes are refused; same-origin, configured CORS origins and non-browser clients pass', async (t) => {
  const server = await startServer(t, { corsOrigins: 'https://app.example' });
  const port = portOf(server.url);
  const stop = (headers: Record<string, string>) => raw(`${server.url}/api/training/stop`, { method: 'POST', headers });
  for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${Number(port) + 1}`, `http://localhost:${port}`, 'not a url']) {
    const res = await stop({ origin });
    t.equal(res.status, 403, `Origin: ${origin}`);
    t.match(res.json(), { code: 'HRL_CROSS_ORIGIN', message: /refused.*HRL_CORS_ORIGINS/ });
  }
  // 409: nothing is running, so the request reached the route.
  t.equal((await stop({ origin: `http://127.0.0.1:${port}` })).status, 409, 'the dashboard on this origin');
  t.equal((await stop({ origin: 'https://app.example' })).status, 409, 'a configured CORS origin');
  t.equal((await stop({})).status, 409, 'a client that sends no Origin (curl, the CLI)');
  t.equal((await stop({ 'sec-fetch-site': 'cross-site' })).status, 403, 'a browser that stripped Origin but says cross-site');
  t.equal((await stop({ 'sec-fetch-site': 'same-origin' })).status, 409);

  const del = await raw(`${server.url}/api/models/some-model`, { method: 'DELETE', headers: { origin: 'https://evil.example' } });
  t.equal(del.status, 403, 'DELETE is a write');
  const read = await raw(`${server.url}/api/training/runs`, { headers: { origin: 'https://evil.example' } });
  t.equal(read.status, 200, 'reads are left to CORS (the page cannot read the answer)');
  t.equal(read.headers['access-control-allow-origin'], undefined);
});

t.test('a WebSocket handshake from a foreign Origin is refused (CORS does not cover WebSockets)', async (t) => {
  const server = await startServer(t);
  const refused = await tryUpgrade(server.wsUrl, { origin: 'https://evil.example' });
  t.equal(refused.status, 403);
  t.match(JSON.parse(refused.body), { code: 'HRL_CROSS_ORIGIN', message: /WebSocket connection from Origin https:\/\/evil\.example refused/ });
  t.equal((await tryUpgrade(server.wsUrl, { origin: server.url })).status, 101, 'the dashboard’s own origin');
});

t.test('writes must be JSON or YAML: text/plain, forms and untyped bodies get 415 and change nothing', async (t) => {
  const server = await startServer(t);
  const yaml = fixture('test_scenario');
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html', '']) {
    const start = await raw(`${server.url}/api/training/start`, { method: 'POST', headers: { 'content-type': contentType }, body: '{"scenario_name":"csrf"}' });
    t.equal(start.status, 415, `start as ${contentType || '(empty type)'}`);
    t.match(start.json(), { code: 'HRL_UNSUPPORTED_MEDIA_TYPE', message: /Content-Type .* is not accepted; send application\/json/ });
    // The import names its own YAML types in the refusal.
    const res = await raw(`${server.url}/api/scenarios/import?name=csrf`, { method: 'POST', headers: { 'content-type': contentType }, body: yaml });
    t.equal(res.status, 415, `import as ${contentType || '(empty type)'}`);
  }
  const untyped = await raw(`${server.url}/api/training/start`, { method: 'POST', body: '{"scenario_name":"csrf"}' });
  t.equal(untyped.status, 415, 'a body without a Content-Type');
  t.match(untyped.json(), { message: /body but no Content-Type/ });
  const plainStop = await raw(`${server.url}/api/training/stop`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
  t.equal(plainStop.status, 415, 'a body-less POST that declares text/plain');
  const plainDelete = await raw(`${server.url}/api/scenarios/csrf`, { method: 'DELETE', headers: { 'content-type': 'text/plain' } });
  t.equal(plainDelete.status, 415, 'a DELETE that declares text/plain');
  t.equal((await raw(`${server.url}/api/scenarios/csrf`)).status, 404, 'no scenario was stored');

  const asYaml = await raw(`${server.url}/api/scenarios/import?name=csrf`, { method: 'POST', headers: { 'content-type': 'application/yaml; charset=utf-8' }, body: yaml });
  t.equal(asYaml.status, 201, 'YAML is accepted where the route parses it');
  const asJson = await raw(`${server.url}/api/training/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(asJson.status, 409, 'JSON passes');
  t.equal((await raw(`${server.url}/api/scenarios/csrf`, { method: 'DELETE' })).status, 200, 'a DELETE without a body needs no type');
});

t.test('in-process inject() (Host localhost:80) and injectWS (no Host) are served as before', async (t) => {
  const server = await startServer(t);
  t.equal((await server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  t.equal((await server.app.inject({ method: 'POST', url: '/api/training/stop' })).statusCode, 409);
  let first: Promise<unknown[]> | undefined;
  // Listening from the start: the first frame may arrive with the handshake.
  const ws = await server.app.injectWS('/ws', {}, { onInit: (socket) => void (first = once(socket, 'message')) });
  t.teardown(() => ws.terminate());
  const [frame] = await first!;
  t.equal(JSON.parse(String(frame)).type, 'connection_established');
});
