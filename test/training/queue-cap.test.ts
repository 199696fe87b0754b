import t from 'tap';
import { importScenario, startRun, startServer } from '../helpers/app.js';

t.test('a start beyond the run queue cap gets 503 with Retry-After and a message, and stores no run', async (t) => {
  const server = await startServer(t, { workers: 1, maxQueuedRuns: 1, rateLimitPerMinute: 0 });
  for (const name of ['a', 'b', 'c']) await importScenario(server.app, 'balanced', name);
  const client = await server.connect();
  await client.subscribe();
  const running = await startRun(server.app, { scenario_name: 'a', num_episodes: 1_000_000, seed: 1 });
  t.equal(running.status, 'started');
  const queued = await startRun(server.app, { scenario_name: 'b', num_episodes: 1_000_000, seed: 2 });
  t.equal(queued.status, 'queued');

  const refused = await server.app.inject({ method: 'POST', url: '/api/training/start', payload: { scenario_name: 'c', num_episodes: 10 } });
  t.equal(refused.statusCode, 503);
  t.equal(refused.headers['retry-after'], '30');
  t.match(refused.json(), { code: 'HRL_QUEUE_FULL', message: /run queue is full: 1 runs are waiting .*limit 1, HRL_MAX_QUEUED_RUNS/ });
  const runs = (await server.app.inject({ method: 'GET', url: '/api/training/runs?scenario_name=c' })).json();
  t.equal(runs.total, 0, 'the refused start left no run behind');

  // Once the queued run is gone, the queue takes a run again.
  const stop = await server.app.inject({ method: 'POST', url: '/api/training/stop', payload: { run_id: queued.run_id } });
  t.equal(stop.statusCode, 200);
  t.equal((await client.terminal(queued.run_id)).type, 'training_stopped');
  const again = await startRun(server.app, { scenario_name: 'c', num_episodes: 10, seed: 3 });
  t.equal(again.status, 'queued');
  for (const runId of [again.run_id, running.run_id]) {
    await server.app.inject({ method: 'POST', url: '/api/training/stop', payload: { run_id: runId } });
    await client.terminal(runId);
  }
});
