import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';
import { startRun, startServer } from '../helpers/app.js';

t.test('a worker that stops reporting is terminated by the watchdog, the run fails, and the pool keeps working', async (t) => {
  const server = await startServer(t, { workerTimeoutMs: 1500 });
  const now = new Date().toISOString();
  const base = normalizeScenarioConfig({});
  // One episode of ten million months: the worker is busy far longer than the watchdog allows.
  await server.app.storage.scenarios.insert({
    name: 'endless',
    description: '',
    config: { ...base, environment: { ...base.environment, max_months: 10_000_000, initial_cash: 1e12 } },
    created_at: now,
    updated_at: now
  });
  await server.app.storage.scenarios.insert({ name: 'normal', description: '', config: base, created_at: now, updated_at: now });
  const c = await server.connect();
  await c.subscribe();
  const stuck = await startRun(server.app, { scenario_name: 'endless', num_episodes: 1 });
  const done = await c.terminal(stuck.run_id);
  t.match(done, { type: 'training_error', data: { message: /stopped responding/, details: /watchdog/ } });
  const next = await startRun(server.app, { scenario_name: 'normal', num_episodes: 3 });
  t.equal((await c.terminal(next.run_id)).type, 'training_completed');
});
