import t from 'tap';
import { HrlTrainer, normalizeScenarioConfig } from '../../src/hrl/index.js';
import { JobFailedError } from '../../src/jobs/job-runner.js';
import { startRun, startServer } from '../helpers/app.js';

t.test('a worker that stops reporting is terminated by the watchdog, its job fails, and the pool keeps working', async (t) => {
  const server = await startServer(t, { workerTimeoutMs: 1500 });
  const now = new Date().toISOString();
  const config = normalizeScenarioConfig({ environment: { max_months: 1200 } });
  await server.app.storage.scenarios.insert({ name: 'normal', description: '', config: normalizeScenarioConfig({}), created_at: now, updated_at: now });
  // Every accepted scenario reports at least every episode, so silence is provoked below the
  // routes' bounds: a million 1200-month simulation episodes, which send nothing until done.
  const model = new HrlTrainer(config, { seed: 1 }).toModel();
  const silent = server.app.jobs.training!.submit({ kind: 'simulate', model, config, episodes: 1_000_000, seed: 1 });
  const failure = await silent.outcome.then(
    () => null,
    (error: unknown) => error
  );
  t.ok(failure instanceof JobFailedError, 'the silent job fails');
  t.equal((failure as JobFailedError).crashed, true, 'as a worker terminated, not a job that threw');
  t.match((failure as JobFailedError).message, /stopped responding|watchdog/);
  const c = await server.connect();
  await c.subscribe();
  const next = await startRun(server.app, { scenario_name: 'normal', num_episodes: 3 });
  t.equal((await c.terminal(next.run_id)).type, 'training_completed', 'the next run trains on a replacement worker');
});
