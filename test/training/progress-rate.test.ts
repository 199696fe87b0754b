import { readFile } from 'node:fs/promises';
import t from 'tap';
import type { EpisodeMetrics } from '../../src/hrl/index.js';
import { EpisodeBatcher, MAX_BATCH_MS, progressBatchMs } from '../../src/training/progress.js';
import { startServer } from '../helpers/app.js';

const OLD_CAP_PER_S = 1000 / MAX_BATCH_MS; // what 50 ms worker batches allowed whatever the setting

t.test('the worker batch period follows the progress rate, capped at 50 ms', async (t) => {
  t.equal(progressBatchMs(10), MAX_BATCH_MS, 'slow rates keep 50 ms batches');
  t.equal(progressBatchMs(20), MAX_BATCH_MS);
  t.equal(progressBatchMs(100), 10);
  t.equal(progressBatchMs(1000), 1, 'the highest allowed rate batches every millisecond');
});

/** Batches a worker sends in one second when it finishes an episode every `episodeMs`, on a counted clock. */
function batchesInOneSecond(progressHz: number, episodeMs: number): number {
  let clock = 0;
  let batches = 0;
  const batcher = new EpisodeBatcher(progressBatchMs(progressHz), () => batches++, () => clock);
  for (let episode = 1; clock < 1000; episode++) {
    clock += episodeMs;
    batcher.add({ episode } as EpisodeMetrics);
  }
  return batches;
}

t.test('a worker finishing an episode every 2 ms sends as many batches per second as progress may be published', async (t) => {
  t.equal(batchesInOneSecond(100, 2), 100, '100 Hz: 100 batches, no longer capped at 20');
  t.equal(batchesInOneSecond(250, 2), 250);
  t.equal(batchesInOneSecond(10, 2), 20, 'below 20 Hz the 50 ms ceiling keeps the history fresh');
  t.equal(batchesInOneSecond(1000, 2), 500, 'never more batches than episodes');
});

t.test('the batcher sends episode 1 at once and holds the rest until flush()', async (t) => {
  const sent: number[][] = [];
  const batcher = new EpisodeBatcher(50, (m) => sent.push(m.map((e) => e.episode)), () => 0);
  for (let episode = 1; episode <= 4; episode++) batcher.add({ episode } as EpisodeMetrics);
  t.same(sent, [[1]]);
  batcher.flush();
  batcher.flush();
  t.same(sent, [[1], [2, 3, 4]], 'flush sends what is held, once');
});

t.test('over a real socket a run at 100 Hz never sends more than 100 progress events a second, with episode 1 and the last one', async (t) => {
  const hz = 100;
  const server = await startServer(t, { progressHz: hz });
  const yaml = await readFile(new URL('../../examples/scenarios/balanced.yaml', import.meta.url), 'utf8');
  const imported = await fetch(`${server.url}/api/scenarios/import?name=fast`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
  t.equal(imported.status, 201);
  const client = await server.connect();
  await client.subscribe({ scenario_name: 'fast' });
  const numEpisodes = 1000;
  const res = await fetch(`${server.url}/api/training/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario_name: 'fast', num_episodes: numEpisodes, eval_episodes: 0, seed: 3 })
  });
  t.equal(res.status, 202);
  const runId = ((await res.json()) as { data: { run_id: string } }).data.run_id;
  const end = await client.next((f) => f.run_id === runId && f.type.startsWith('training_') && !['training_started', 'training_progress'].includes(f.type), { timeoutMs: 170_000 });
  t.equal(end.type, 'training_completed');
  t.same(client.invalid, [], 'every frame matches its schema');

  // Server-side times only (elapsed_time is stamped when the event is published): the
  // counts below do not depend on how fast this test process reads the socket.
  const progress = client.runEvents(runId).filter((f) => f.type === 'training_progress').map((f) => f.data);
  t.equal(progress[0].episode, 1, 'episode 1 is always published');
  t.equal(progress.at(-1).episode, numEpisodes, 'the last episode is always published');
  const seconds = progress.at(-1).elapsed_time;
  // Bound: consecutive events are at least 1/hz apart (1 ms clock granularity), except the
  // final one, which is published at once when the run ends.
  const gaps = progress.slice(1, -1).map((p, i) => p.elapsed_time - progress[i].elapsed_time);
  t.equal(gaps.filter((g) => g < 1 / hz - 0.001).length, 0, `no two events closer than ${1000 / hz} ms`);
  t.ok(progress.length <= hz * seconds + 2, `${progress.length} events in ${seconds.toFixed(2)} s is at most ${hz}/s`);
  t.comment(`${(progress.length / seconds).toFixed(1)} events/s, ${(numEpisodes / seconds).toFixed(0)} episodes/s on this machine`);
});
