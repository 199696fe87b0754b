import t from 'tap';
import path from 'node:path';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { EpisodeMetrics } from '../../src/hrl/index.js';
import { startServer } from '../helpers/app.js';
import { createStoredRun } from '../helpers/runs.js';

/** Another connection (another thread, as another process would) holding the write lock until told to let go. */
async function holdWriteLock(t: { teardown(fn: () => unknown): void }, filename: string) {
  const locker = new Worker(
    `const Database = require('better-sqlite3');
     const { parentPort, workerData } = require('node:worker_threads');
     const db = new Database(workerData);
     db.exec('BEGIN EXCLUSIVE');
     parentPort.postMessage('locked');
     parentPort.once('message', () => { db.exec('COMMIT'); db.close(); parentPort.close(); });`,
    { eval: true, workerData: filename }
  );
  const exited = once(locker, 'exit');
  t.teardown(() => locker.terminate());
  await once(locker, 'message');
  return async () => {
    locker.postMessage('release');
    await exited;
  };
}

const episode = (n: number): EpisodeMetrics => ({
  episode: n, episode_reward: n, episode_length: 12, final_cash: 1, total_invested: 1, portfolio_value: 1,
  cash_stability_index: 1, goal_adherence: 0, sharpe_ratio: 0, policy_stability: 1
});

t.test('while another connection holds the write lock, the event loop runs on, /health says 503 why, and every write lands after the release', async (t) => {
  const server = await startServer(t);
  const filename = path.join(server.dataDir, 'hrl-finance.sqlite');
  await createStoredRun(server.app, 'locked-run');
  t.match((await server.app.inject({ method: 'GET', url: '/health' })).json(), { status: 'ok' });

  const release = await holdWriteLock(t, filename);
  // The longest gap between ticks of a 10 ms timer: how long the event loop was held up.
  let last = performance.now();
  let maxGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last - 10);
    last = now;
  }, 10);
  t.teardown(() => clearInterval(ticker));
  // Writes of three kinds start while the lock is held: REST, episode history, run events.
  const created = server.app.inject({
    method: 'POST', url: '/api/scenarios', payload: { name: 'during-lock', environment: {} }
  });
  const episodes = server.app.storage.episodes.append('locked-run', [episode(1), episode(2)]);
  const event = server.app.bus.publish({
    run_id: 'locked-run', scenario_name: 'scn', type: 'training_error',
    data: { message: 'x', details: 'y', scenario_name: 'scn', episodes_completed: 2 }
  });
  const started = Date.now();
  const health = await server.app.inject({ method: 'GET', url: '/health' });
  const answeredMs = Date.now() - started;
  t.equal(health.statusCode, 503);
  t.match(health.json(), { status: 'unhealthy', reason: /locked or busy/, version: String });
  t.ok(answeredMs < 3000, `/health answered in ${answeredMs} ms while the database was locked`);
  clearInterval(ticker);
  maxGapMs = Math.max(maxGapMs, performance.now() - last - 10);
  // Blocking waits held it for seconds (5,089 ms with busy_timeout 5000); the margin is for a loaded machine.
  t.ok(maxGapMs < 1000, `event-loop delay max ${maxGapMs.toFixed(0)} ms while the lock was held`);

  await release();
  t.equal((await created).statusCode, 201, 'the scenario written during the lock is stored');
  await episodes;
  t.same((await server.app.storage.episodes.list('locked-run')).map((e) => e.episode), [1, 2], 'the episode batch was retried, not lost');
  t.equal((await event).event.seq, 1);
  t.equal((await server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'healthy again once the lock is gone');
});
