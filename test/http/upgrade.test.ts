import t from 'tap';
import { startServer } from '../helpers/app.js';
import { tryUpgrade } from './helpers.js';

t.test('an upgrade to any path but /ws is an HTTP 404, never a 101 followed by a close', async (t) => {
  const server = await startServer(t);
  const base = server.wsUrl.replace(/\/ws$/, '');
  for (const path of ['/health', '/api/training/runs', '/', '/assets/app.js', '/openapi.json', '/nowhere', '/ws/', '/ws/extra', '/api/ws']) {
    const outcome = await tryUpgrade(`${base}${path}`);
    t.equal(outcome.status, 404, `${path}: ${outcome.status}`);
    t.equal(outcome.frames, 0);
    if (outcome.body) t.match(JSON.parse(outcome.body), { statusCode: 404 }, `${path}: an error body`);
  }
  const named = await tryUpgrade(`${base}/health`);
  t.match(JSON.parse(named.body), { code: 'HRL_NOT_A_WEBSOCKET_ENDPOINT', message: '/health has no WebSocket endpoint; connect to /ws' });
  t.equal(server.app.websocketServer.clients.size, 0, 'no WebSocket was opened by the refusals');
  t.equal((await tryUpgrade(server.wsUrl)).status, 101, '/ws itself still upgrades');
});
