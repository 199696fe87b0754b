import t from 'tap';
import { freePort, importFixture, spawnServer, startRun, tempDir } from '../client/helpers.js';
import { cli, jsonLines } from './helpers.js';

t.test('watch survives a server restart and exits 1 on the interrupted run\'s training_error', async (t) => {
  const port = await freePort();
  const dataDir = await tempDir(t);
  const first = await spawnServer(t, { port, dataDir, env: { HRL_PROGRESS_HZ: '20' } });
  await importFixture(first.url, 'demo');
  const runId = await startRun(first.url, { scenario_name: 'demo', num_episodes: 5000, eval_episodes: 0 });
  const watcher = cli(t, ['watch', '--run', runId, '--url', first.url, '--json']);
  await watcher.waitFor('"training_progress"');
  await first.kill();
  await watcher.waitFor('reconnecting');
  await spawnServer(t, { port, dataDir });
  const { code, stdout, stderr } = await watcher.done;
  t.equal(code, 1, stderr);
  const events = jsonLines(stdout);
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'no gap or duplicate across the restart');
  t.equal(events.at(-1)!.type, 'training_error');
  t.match(stderr, /reconnected; resuming/);
});
