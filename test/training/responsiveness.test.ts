import t from 'tap';
import { importScenario, startRun, startServer } from '../helpers/app.js';

t.test('the HTTP API answers in under 50 ms while two runs train (training is off the event loop)', async (t) => {
  const server = await startServer(t, { workers: 2 });
  await importScenario(server.app, 'balanced', 'a');
  await importScenario(server.app, 'bologna_coppia', 'b');
  const c = await server.connect();
  await c.subscribe();
  const runs = [
    await startRun(server.app, { scenario_name: 'a', num_episodes: 100_000 }),
    await startRun(server.app, { scenario_name: 'b', num_episodes: 100_000 })
  ];
  for (const { run_id } of runs) await c.next((f) => f.run_id === run_id && f.type === 'training_progress' && f.data.episode > 1);
  const latencies: number[] = [];
  for (let i = 0; i < 40; i++) {
    const start = performance.now();
    const res = await fetch(`${server.url}/api/training/status`);
    await res.json();
    latencies.push(performance.now() - start);
  }
  latencies.sort((x, y) => x - y);
  const median = latencies[20];
  // The median, not the tail: on a 2-core machine two busy workers and other test files
  // compete for CPU with the main thread. Training on the event loop (the original's defect)
  // would make every request wait for whole episodes or runs.
  t.ok(median < 50, `median ${median.toFixed(1)} ms (p90 ${latencies[36].toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms)`);
  for (const { run_id } of runs) await server.app.inject({ method: 'POST', url: '/api/training/stop', payload: { run_id } });
  await Promise.all(runs.map(({ run_id }) => c.terminal(run_id)));
});

t.test('progress events are limited to progress_hz per second however fast episodes finish', async (t) => {
  const server = await startServer(t, { workers: 1, progressHz: 4 });
  await importScenario(server.app, 'bologna_coppia', 'fast');
  const c = await server.connect();
  await c.subscribe();
  const { run_id } = await startRun(server.app, { scenario_name: 'fast', num_episodes: 100_000 });
  const started = await c.next((f) => f.run_id === run_id && f.type === 'training_started');
  const from = c.frames.indexOf(started);
  // Let it run for 2 s of wall time, measured by the server's own elapsed_time.
  await c.next((f) => f.run_id === run_id && f.type === 'training_progress' && f.data.elapsed_time >= 2, { from });
  await server.app.inject({ method: 'POST', url: '/api/training/stop', payload: { run_id } });
  const done = await c.terminal(run_id);
  const progress = c.runEvents(run_id).filter((e) => e.type === 'training_progress');
  const last = progress.at(-1)!;
  const seconds = last.data.elapsed_time;
  t.ok(done.data.episodes_completed > progress.length, `${done.data.episodes_completed} episodes were trained`);
  // Episode 1 and the final episode are extra to the rate; allow one of timer slack.
  t.ok(progress.length <= Math.ceil(seconds * 4) + 3, `${progress.length} progress events in ${seconds.toFixed(2)} s`);
  t.equal(progress[0].data.episode, 1);
  t.equal(last.data.episode, done.data.episodes_completed);
  const gaps = progress.slice(2, -1).map((e, i) => Date.parse(e.ts) - Date.parse(progress[i + 1].ts));
  t.ok(gaps.every((g) => g >= 240), `consecutive progress events at least ~250 ms apart (min ${Math.min(...gaps)} ms)`);
});
