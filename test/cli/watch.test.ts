import t from 'tap';
import { importFixture, startApp, startRun } from '../client/helpers.js';
import { cli, jsonLines } from './helpers.js';

t.test('the watcher against an in-process server', async (t) => {
  const { url } = await startApp(t, { progressHz: 50 });
  await importFixture(url, 'demo');
  await importFixture(url, 'other', 'balanced.yaml');

  t.test('watch --run exits 2 when the run is stopped', async (t) => {
    const runId = await startRun(url, { scenario_name: 'demo', num_episodes: 5000, eval_episodes: 0 });
    const watcher = cli(t, ['watch', '--run', runId, '--url', url, '--json']);
    await watcher.waitFor('"training_progress"');
    const res = await fetch(`${url}/api/training/stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run_id: runId })
    });
    t.equal(res.status, 200);
    const { code, stdout } = await watcher.done;
    t.equal(code, 2);
    t.equal(jsonLines(stdout).at(-1)!.type, 'training_stopped');
  });

  t.test('watch --scenario waits for the next run of that scenario and exits 0 when it completes', async (t) => {
    const watcher = cli(t, ['watch', '--scenario', 'other', '--url', url]);
    await watcher.waitFor('waiting for a run of other');
    const runId = await startRun(url, { scenario_name: 'other', num_episodes: 3, eval_episodes: 0 });
    const { code, stderr } = await watcher.done;
    t.equal(code, 0);
    t.match(stderr, new RegExp(`run ${runId} completed: 3 episodes`));
  });
});

