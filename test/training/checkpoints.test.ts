import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';
import { MAX_UNACKED_UPDATES, type TrainJob } from '../../src/training/messages.js';
import type { JobUpdate } from '../../src/jobs/job-runner.js';
import { WorkerPool } from '../../src/training/worker-pool.js';

// Two-month episodes: thousands per second, the case where save_interval 1 used to post a
// full model per episode.
const shortEpisodes = normalizeScenarioConfig({ environment: { max_months: 2 } });

const job = (overrides: Partial<TrainJob>): TrainJob => ({
  kind: 'train', config: shortEpisodes, episodes: 1_000_000, seed: 3, saveInterval: 1, checkpointMinMs: 250, evalEpisodes: 0, batchMs: 50, ...overrides
});

t.test('save_interval 1 on short episodes yields checkpoints no more often than the minimum interval', async (t) => {
  const pool = new WorkerPool({ size: 1 });
  t.teardown(() => pool.close());
  const checkpoints: Array<{ episode: number; at: number }> = [];
  let episodes = 0;
  const stop = new AbortController();
  const handle = pool.submit(job({}), {
    signal: stop.signal,
    onUpdate: (update: JobUpdate) => {
      if (update.type === 'checkpoint') checkpoints.push({ episode: update.episode, at: Date.now() });
      if (update.type === 'episodes') episodes = update.metrics.at(-1)!.episode;
    }
  });
  // Stops once it has run well past a few intervals, by episodes seen (no sleeps).
  while (checkpoints.length < 4) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await handle.outcome;
  t.ok(episodes > 4 * checkpoints.length, `${episodes} episodes, ${checkpoints.length} checkpoints`);
  const gaps = checkpoints.slice(1).map((c, i) => c.at - checkpoints[i]!.at);
  // Measured on the main thread, where arrival may bunch by a few ms.
  t.ok(gaps.every((g) => g >= 200), `gaps between checkpoints ${gaps.join(', ')} ms (minimum 250 ms)`);
});

t.test('a worker keeps at most a bounded number of updates unhandled by a slow main thread, then pauses training', async (t) => {
  const pool = new WorkerPool({ size: 1 });
  t.teardown(() => pool.close());
  let pending = 0;
  let maxPending = 0;
  let handled = 0;
  const stop = new AbortController();
  const handle = pool.submit(job({ checkpointMinMs: 50 }), {
    signal: stop.signal,
    onUpdate: async () => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      // A main thread stuck on a locked database, say.
      await new Promise((r) => setTimeout(r, 300));
      pending--;
      handled++;
    }
  });
  while (handled < 2 * MAX_UNACKED_UPDATES) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  const result = await handle.outcome;
  t.equal(result.type, 'trained', 'the stop is honoured while the worker waits for the main thread');
  // The bound is reached (the worker paused there); a stop lets it send its last batch on top.
  t.ok(maxPending >= MAX_UNACKED_UPDATES && maxPending <= MAX_UNACKED_UPDATES + 1, `at most ${maxPending} updates were waiting (bound ${MAX_UNACKED_UPDATES}, + the last batch at a stop)`);
});
