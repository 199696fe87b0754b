import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';
import { WorkerPool } from '../../src/training/worker-pool.js';
import { importScenario, startRun, startServer, type TestServer } from '../helpers/app.js';
import { restBodyError } from '../helpers/schemas.js';
import type { Frame, TestClient } from '../helpers/ws-client.js';
import { makeRun } from '../storage/helpers.js';

// One server with two real worker threads for the whole file: workers take ~1 s to start.
let server: TestServer;
t.before(async () => {
  server = await startServer(t, { workers: 2, progressHz: 20 });
  await importScenario(server.app, 'bologna_coppia', 'bologna');
  await importScenario(server.app, 'balanced', 'balanced');
  await importScenario(server.app, 'test_scenario', 'small');
});

const get = async (url: string) => {
  const res = await server.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
};
const post = async (url: string, payload?: unknown) => {
  const res = await server.app.inject({ method: 'POST', url, ...(payload !== undefined && { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
};

const seqs = (events: Frame[]) => events.map((e) => e.seq);
const contiguous = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

t.test('a run goes started → progress → completed, every event schema-valid and numbered without gaps', async (t) => {
  const c = await server.connect();
  await c.subscribe();
  const { run_id, status } = await startRun(server.app, { scenario_name: 'bologna', num_episodes: 40, seed: 7 });
  t.equal(status, 'started');
  const done = await c.terminal(run_id);
  // The stored status changes before the terminal event is published.
  t.equal((await get(`/api/training/runs/${run_id}`)).body.status, 'completed');
  const events = c.runEvents(run_id);
  t.same(seqs(events), contiguous(events.length));
  t.ok(events.every((e) => e.scenario_name === 'bologna'), 'every envelope names the run scenario');
  t.equal(events[0].type, 'training_started');
  t.match(events[0].data, { run_id, scenario_name: 'bologna', num_episodes: 40, seed: 7 });
  const progress = events.filter((e) => e.type === 'training_progress');
  t.ok(progress.length >= 2);
  t.equal(progress[0].data.episode, 1, 'episode 1 is always published');
  t.equal(progress.at(-1)!.data.episode, 40, 'the last episode is always published');
  t.equal(done, events.at(-1), 'the terminal event is the last one');
  t.match(done, { type: 'training_completed', data: { scenario_name: 'bologna', episodes_completed: 40, model_name: String } });
  t.same(c.invalid, [], 'every frame validates against schemas/');
  const model = await server.app.storage.models.get(done.data.model_name);
  t.equal(model?.run_id, run_id, 'the model is saved under the name the event gives');
  const run = (await get(`/api/training/runs/${run_id}`)).body;
  t.equal(restBodyError('Run', run), null);
  t.match(run, { status: 'completed', episodes_completed: 40, model_name: done.data.model_name, latest_progress: { episode: 40 } });
  const history = (await get(`/api/training/runs/${run_id}/history`)).body;
  t.equal(history.episodes.length, 40, 'every episode is in the history');
  t.equal(restBodyError('RunHistoryResponse', history), null);
});

t.test('a run goes started → progress → stopped when stopped over REST, and keeps a partial model under a new name', async (t) => {
  const c = await server.connect();
  const { run_id } = await startRun(server.app, { scenario_name: 'balanced', num_episodes: 100_000, seed: 1 });
  await c.subscribe({ run_id });
  await c.next((f) => f.run_id === run_id && f.type === 'training_progress');
  const stop = await post('/api/training/stop', { run_id });
  t.equal(stop.status, 200);
  t.match(stop.body.data, { status: 'stopping', run_id, scenario_name: 'balanced', total_episodes: 100_000 });
  const done = await c.terminal(run_id);
  t.equal(done.type, 'training_stopped');
  t.equal(done.data.reason, 'user', 'stopped on request');
  t.ok(done.data.episodes_completed > 0);
  t.match(done.data.model_name, /^balanced-/);
  const progress = c.runEvents(run_id).filter((e) => e.type === 'training_progress');
  t.equal(progress.at(-1)!.data.episode, done.data.episodes_completed, 'the last completed episode is published before the stop');
  t.equal((await get(`/api/training/runs/${run_id}`)).body.status, 'stopped');
  t.equal((await get(`/api/training/runs/${run_id}/history`)).body.episodes.length, done.data.episodes_completed);
  t.ok(await server.app.storage.models.exists(done.data.model_name));
  t.equal((await post('/api/training/stop', { run_id })).status, 409, 'a finished run cannot be stopped');
});

t.test('a run whose config fails at run time ends with training_error and the service stays up', async (t) => {
  const config = normalizeScenarioConfig({});
  const now = new Date().toISOString();
  // Stored behind the API's back: the worker is the one that finds it invalid.
  await server.app.storage.scenarios.insert({
    name: 'broken',
    description: '',
    config: { ...config, environment: { ...config.environment, max_months: 0 } },
    created_at: now,
    updated_at: now
  });
  const c = await server.connect();
  await c.subscribe({ scenario_name: 'broken' });
  const { run_id } = await startRun(server.app, { scenario_name: 'broken', num_episodes: 10 });
  const done = await c.terminal(run_id);
  t.match(done, { type: 'training_error', data: { scenario_name: 'broken', episodes_completed: 0, message: /max_months/ } });
  t.equal(c.runEvents(run_id).at(-1), done);
  t.match((await get(`/api/training/runs/${run_id}`)).body, { status: 'failed', error: /max_months/ });
  t.equal((await get('/health')).status, 200);
});

t.test('a worker that dies mid-run ends the run with training_error, and the next run works', async (t) => {
  const c = await server.connect();
  await c.subscribe({ scenario_name: 'balanced' });
  const { run_id } = await startRun(server.app, { scenario_name: 'balanced', num_episodes: 100_000 });
  await c.next((f) => f.run_id === run_id && f.type === 'training_progress');
  const pool = server.app.jobs.training;
  t.ok(pool instanceof WorkerPool, 'the embedded job runner is the worker-thread pool');
  t.equal(await (pool as WorkerPool).terminateBusyWorkers(), 1, "the run's worker is the only busy one");
  const done = await c.terminal(run_id);
  t.match(done, { type: 'training_error', data: { message: /worker stopped unexpectedly/ } });
  t.ok(done.data.episodes_completed > 0);
  const next = await startRun(server.app, { scenario_name: 'balanced', num_episodes: 5 });
  t.equal((await c.terminal(next.run_id)).type, 'training_completed');
});

t.test('starting a second run of a scenario with an active run answers 409', async (t) => {
  const { run_id } = await startRun(server.app, { scenario_name: 'small', num_episodes: 100_000 });
  const second = await post('/api/training/start', { scenario_name: 'small', num_episodes: 10 });
  t.equal(second.status, 409);
  t.match(second.body, { statusCode: 409, code: 'HRL_RUN_ACTIVE', message: new RegExp(run_id) });
  const c = await server.connect();
  await c.subscribe({ run_id });
  await post('/api/training/stop', { run_id });
  await c.terminal(run_id);
  // The scenario is free again as soon as the terminal event is out.
  const third = await startRun(server.app, { scenario_name: 'small', num_episodes: 3 });
  t.ok(third.run_id);
  await c.subscribe({ run_id: third.run_id });
  await c.terminal(third.run_id);
});

t.test("another process's active run, known only to the database, gets the same 409s", async (t) => {
  // As a second gateway would have stored them: nothing of these runs is in this process's memory.
  await server.app.storage.runs.create(makeRun({ run_id: 'run_elsewhere', scenario_name: 'small', status: 'running' }));
  await server.app.storage.runs.create(makeRun({ run_id: 'run_elsewhere_2', scenario_name: 'balanced', status: 'queued', requested_model_name: 'taken_elsewhere' }));
  t.teardown(async () => {
    await server.app.storage.runs.update('run_elsewhere', { status: 'stopped' });
    await server.app.storage.runs.update('run_elsewhere_2', { status: 'stopped' });
  });
  const scenario = await post('/api/training/start', { scenario_name: 'small', num_episodes: 10 });
  t.match(scenario, { status: 409, body: { code: 'HRL_RUN_ACTIVE', message: /run_elsewhere/ } });
  const model = await post('/api/training/start', { scenario_name: 'bologna', num_episodes: 10, model_name: 'taken_elsewhere' });
  t.match(model, { status: 409, body: { code: 'HRL_MODEL_EXISTS', message: /taken_elsewhere/ } });
  t.equal(server.app.training.activeCount, 0, 'the refused starts left nothing reserved');
});

t.test('bad start and stop requests get the documented status with the field named', async (t) => {
  t.match(await post('/api/training/start', { scenario_name: 'nope' }), { status: 404, body: { message: /nope/ } });
  t.match(await post('/api/training/start', { scenario_name: 'small', num_episodes: 0 }), {
    status: 400,
    body: { message: /num_episodes/ }
  });
  t.match(await post('/api/training/start', { scenario_name: 'small', episodes: 10 }), { status: 400, body: { message: /episodes/ } });
  t.match(await post('/api/training/start', {}), { status: 400, body: { message: /scenario_name/ } });
  t.match(await post('/api/training/stop', { run_id: 'run_unknown' }), { status: 404, body: { message: /run_unknown/ } });
  t.match(await post('/api/training/stop'), { status: 409, body: { code: 'HRL_NO_ACTIVE_RUN' } });
  t.match(await get('/api/training/runs/run_unknown'), { status: 404 });
});

t.test('runs beyond the worker pool wait in the queue; a queued run stopped before it starts ends with training_stopped only', async (t) => {
  const c = await server.connect();
  await c.subscribe();
  const a = await startRun(server.app, { scenario_name: 'balanced', num_episodes: 100_000 });
  const b = await startRun(server.app, { scenario_name: 'bologna', num_episodes: 100_000 });
  const q = await startRun(server.app, { scenario_name: 'small', num_episodes: 10 });
  t.equal(q.status, 'queued');
  t.equal((await get(`/api/training/runs/${q.run_id}`)).body.status, 'queued');
  const stop = await post('/api/training/stop', { run_id: q.run_id });
  t.match(stop, { status: 200, body: { data: { status: 'stopped', episodes_completed: 0 } } });
  const done = await c.terminal(q.run_id);
  t.match(done, { type: 'training_stopped', seq: 1, data: { episodes_completed: 0, model_name: null, reason: 'user' } });
  t.same(c.runEvents(q.run_id).map((e) => e.type), ['training_stopped'], 'no training_started');
  t.match(await post('/api/training/stop'), { status: 409, body: { code: 'HRL_RUN_ID_REQUIRED' } });
  for (const run of [a, b]) await post('/api/training/stop', { run_id: run.run_id });
  await Promise.all([c.terminal(a.run_id), c.terminal(b.run_id)]);
});

t.test('per-scenario subscribers of two concurrent runs see only their own run', async (t) => {
  const watchers: Record<string, TestClient> = {};
  for (const s of ['balanced', 'bologna']) {
    watchers[s] = await server.connect();
    await watchers[s].subscribe({ scenario_name: s });
  }
  const runs = {
    balanced: await startRun(server.app, { scenario_name: 'balanced', num_episodes: 30 }),
    bologna: await startRun(server.app, { scenario_name: 'bologna', num_episodes: 30 })
  };
  for (const s of ['balanced', 'bologna'] as const) {
    await watchers[s].terminal(runs[s].run_id);
    const ids = new Set(watchers[s].runEvents().map((e) => e.run_id));
    t.same([...ids], [runs[s].run_id]);
  }
});

t.test('the same seed and config give an identical history', async (t) => {
  const c = await server.connect();
  await c.subscribe({ scenario_name: 'small' });
  const histories = [];
  for (const seed of [42, 42, 43]) {
    const { run_id } = await startRun(server.app, { scenario_name: 'small', num_episodes: 8, seed });
    await c.terminal(run_id);
    histories.push((await get(`/api/training/runs/${run_id}/history`)).body.episodes);
  }
  t.same(histories[0], histories[1]);
  t.notSame(histories[0], histories[2]);
});

t.test('the training status route reports the active run, then the latest one', async (t) => {
  const c = await server.connect();
  const { run_id } = await startRun(server.app, { scenario_name: 'bologna', num_episodes: 100_000 });
  await c.subscribe({ run_id });
  await c.next((f) => f.run_id === run_id && f.type === 'training_progress');
  const active = (await get('/api/training/status')).body;
  t.match(active, { is_training: true, run_id, scenario_name: 'bologna', total_episodes: 100_000, status: 'running' });
  t.equal(restBodyError('TrainingStatusResponse', active), null);
  await post('/api/training/stop', { run_id });
  await c.terminal(run_id);
  const after = (await get('/api/training/status')).body;
  t.match(after, { is_training: false, run_id, status: 'stopped' });
  t.ok(after.current_episode > 0);
});

t.test('runs list newest first with a total, filterable by scenario and status', async (t) => {
  const all = (await get('/api/training/runs')).body;
  t.equal(restBodyError('RunListResponse', all), null);
  t.ok(all.total >= 10);
  const created = all.runs.map((r: { created_at: string }) => r.created_at);
  t.same(created, [...created].sort().reverse());
  const stopped = (await get('/api/training/runs?status=stopped&scenario_name=balanced&limit=2')).body;
  t.ok(stopped.runs.length <= 2);
  for (const r of stopped.runs) t.match(r, { status: 'stopped', scenario_name: 'balanced' });
  t.match(await get('/api/training/runs?status=bogus'), { status: 400, body: { message: /status/ } });
});
