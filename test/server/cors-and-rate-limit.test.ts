import t from 'tap';
import { startServer } from '../helpers/app.js';

t.test('CORS is off by default: no allow-origin header for any origin', async (t) => {
  const server = await startServer(t);
  const res = await server.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
  t.equal(res.headers['access-control-allow-origin'], undefined);
});

t.test('CORS allows exactly the configured origins, never * with credentials', async (t) => {
  const server = await startServer(t, { corsOrigins: 'https://app.example, https://ops.example' });
  const allowed = await server.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://app.example' } });
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
  t.equal(allowed.headers['access-control-allow-credentials'], 'true');
  const preflight = await server.app.inject({
    method: 'OPTIONS',
    url: '/api/training/start',
    headers: { origin: 'https://ops.example', 'access-control-request-method': 'POST' }
  });
  t.equal(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], 'https://ops.example');
  const denied = await server.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
  t.equal(denied.headers['access-control-allow-origin'], undefined);
});

t.test('REST requests beyond the per-client limit get 429 with Retry-After; the WebSocket is not counted', async (t) => {
  const server = await startServer(t, { rateLimitPerMinute: 5 });
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 7; i++) {
    last = await server.app.inject({ method: 'GET', url: '/api/training/runs' });
    statuses.push(last.statusCode);
  }
  t.same(statuses, [200, 200, 200, 200, 200, 429, 429]);
  t.ok(Number(last!.headers['retry-after']) > 0, `Retry-After: ${last!.headers['retry-after']}`);
  t.match(last!.json(), { statusCode: 429, message: /rate limit/i });
  const c = await server.connect();
  t.match(await c.request({ type: 'ping' }, 'ws-still-fine'), { type: 'pong' });
});
