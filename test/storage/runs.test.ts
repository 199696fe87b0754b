import t from 'tap';
import { ConflictError } from '../../src/storage/index.js';
import { fakeModel, makeRun, openTestStorage } from './helpers.js';

t.test('create then get returns the same record, JSON fields included', async (t) => {
  const { storage } = await openTestStorage(t);
  const run = makeRun({ requested_model_name: 'my-model' });
  await storage.runs.create(run);
  t.strictSame(await storage.runs.get('run-1'), run);
  t.equal(await storage.runs.get('missing'), undefined);
});

t.test('creating a run with an existing run_id is a ConflictError', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  await t.rejects(storage.runs.create(makeRun()), ConflictError);
});

t.test('update changes only the patched fields', async (t) => {
  const { storage } = await openTestStorage(t);
  const run = makeRun();
  await storage.runs.create(run);
  const latest_progress = {
    episode: 3, total_episodes: 100, avg_reward: 0.1 + 0.2, avg_duration: 60, avg_cash: 1.5,
    avg_invested: 2.5, stability: 1, goal_adherence: 0.01, elapsed_time: 0.25
  };
  await storage.runs.update('run-1', {
    status: 'running',
    started_at: '2026-11-25T12:00:01.000Z',
    episodes_completed: 3,
    latest_progress
  });
  t.strictSame(await storage.runs.get('run-1'), {
    ...run,
    status: 'running',
    started_at: '2026-11-25T12:00:01.000Z',
    episodes_completed: 3,
    latest_progress
  });
  await storage.runs.update('run-1', { status: 'failed', latest_progress: null, error: 'boom', finished_at: '2026-11-25T12:00:02.000Z' });
  const failed = await storage.runs.get('run-1');
  t.equal(failed?.status, 'failed');
  t.equal(failed?.latest_progress, null);
  t.equal(failed?.error, 'boom');
  t.equal(failed?.started_at, '2026-11-25T12:00:01.000Z', 'untouched field kept');
  await storage.runs.update('run-1', {});
  await storage.runs.update('missing', { status: 'running' });
  t.equal(await storage.runs.get('missing'), undefined, 'updating an unknown run creates nothing');
});

t.test('runs created in the same millisecond list newest first by insertion order', async (t) => {
  const { storage } = await openTestStorage(t);
  const ts = '2026-11-25T12:00:00.000Z';
  for (const id of ['b', 'a', 'd', 'c']) await storage.runs.create(makeRun({ run_id: id, created_at: ts, status: 'completed' }));
  await storage.runs.create(makeRun({ run_id: 'older', created_at: '2026-11-25T11:59:59.999Z', status: 'completed' }));
  const { runs, total } = await storage.runs.list({ limit: 10, offset: 0 });
  t.same(runs.map((r) => r.run_id), ['c', 'd', 'a', 'b', 'older']);
  t.equal(total, 5);
  t.equal((await storage.runs.latest())?.run_id, 'c');
});

t.test('list filters by scenario and status and pages with a total before paging', async (t) => {
  const { storage } = await openTestStorage(t);
  for (let i = 0; i < 6; i++) {
    await storage.runs.create(makeRun({
      run_id: `r${i}`,
      scenario_name: i % 2 === 0 ? 'even' : 'odd',
      // r3 and r4 are running: one active run per scenario.
      status: i === 3 || i === 4 ? 'running' : 'completed',
      created_at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString()
    }));
  }
  const even = await storage.runs.list({ scenario_name: 'even', limit: 10, offset: 0 });
  t.same(even.runs.map((r) => r.run_id), ['r4', 'r2', 'r0']);
  t.equal(even.total, 3);
  const page = await storage.runs.list({ limit: 2, offset: 1 });
  t.same(page.runs.map((r) => r.run_id), ['r4', 'r3']);
  t.equal(page.total, 6);
  const both = await storage.runs.list({ scenario_name: 'odd', status: 'completed', limit: 10, offset: 0 });
  t.same(both.runs.map((r) => r.run_id), ['r5', 'r1']);
  t.equal(both.total, 2);
  const none = await storage.runs.list({ status: 'interrupted', limit: 10, offset: 0 });
  t.same(none, { runs: [], total: 0 });
});

t.test('findByStatus returns matching runs oldest first', async (t) => {
  const { storage } = await openTestStorage(t);
  const ts = '2026-11-25T12:00:00.000Z';
  await storage.runs.create(makeRun({ run_id: 'q1', status: 'queued', created_at: ts, scenario_name: 's1' }));
  await storage.runs.create(makeRun({ run_id: 'run', status: 'running', created_at: ts, scenario_name: 's2' }));
  await storage.runs.create(makeRun({ run_id: 'done', status: 'completed', created_at: ts, scenario_name: 's2' }));
  await storage.runs.create(makeRun({ run_id: 'q2', status: 'queued', created_at: ts, scenario_name: 's3' }));
  const active = await storage.runs.findByStatus(['queued', 'running']);
  t.same(active.map((r) => r.run_id), ['q1', 'run', 'q2']);
  t.same(await storage.runs.findByStatus([]), []);
});

t.test('latest is undefined on an empty database', async (t) => {
  const { storage } = await openTestStorage(t);
  t.equal(await storage.runs.latest(), undefined);
});

t.test('a checkpoint is upserted and read back', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  t.equal(await storage.runs.getCheckpoint('run-1'), undefined);
  await storage.runs.saveCheckpoint('run-1', 10, fakeModel({ weights: [0.1, 0.2] }), '2026-11-25T12:00:10.000Z');
  await storage.runs.saveCheckpoint('run-1', 20, fakeModel({ weights: [0.3] }), '2026-11-25T12:00:20.000Z');
  t.strictSame(await storage.runs.getCheckpoint('run-1'), {
    run_id: 'run-1',
    episode: 20,
    model: { weights: [0.3] },
    updated_at: '2026-11-25T12:00:20.000Z'
  });
});
