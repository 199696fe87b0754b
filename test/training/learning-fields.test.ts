// Issue 9 over a real socket: a run publishes the training settings in use, and a completed
// run's final metrics carry schema-valid baselines, stored with the run and the model.
import t from 'tap';
import { importScenario, startRun, startServer, type TestServer } from '../helpers/app.js';
import { restBodyError } from '../helpers/schemas.js';
import { resolveTrainingSettings, parseScenarioYaml } from '../../src/hrl/index.js';
import { fixture } from '../helpers/app.js';

let server: TestServer;
t.before(async () => {
  server = await startServer(t, { workers: 1, progressHz: 20 });
  await importScenario(server.app, 'test_scenario', 'small');
});

const get = async (url: string) => {
  const res = await server.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
};

t.test('a completed run carries its settings and schema-valid baselines on the socket, in the run and in the model', async (t) => {
  const c = await server.connect();
  await c.subscribe();
  const { run_id } = await startRun(server.app, { scenario_name: 'small', num_episodes: 6, seed: 3 });
  // The baselines run in the worker thread at its lowest CPU priority: on a busy machine that takes a while.
  const done = await c.next((f) => f.run_id === run_id && ['training_completed', 'training_stopped', 'training_error'].includes(f.type), { timeoutMs: 600_000 });
  t.same(c.invalid, [], 'every frame validates against schemas/');
  const started = c.runEvents(run_id)[0];
  t.equal(started.type, 'training_started');
  t.match(started.data.training_settings, { auto: true, num_episodes: 6, episodes_explicit: true, high_period: 6 });
  t.equal(done.type, 'training_completed', JSON.stringify(done.data).slice(0, 300));
  const b = done.data.final_metrics.baselines;
  t.match(b, {
    episodes: 200,
    learned_mean: Number,
    best_constant: { allocation: [Number, Number, Number], mean: Number },
    best_rule: { name: String, params: Object, mean: Number },
    diff_constant: { mean: Number, ci95: [Number, Number] },
    diff_rule: { mean: Number, ci95: [Number, Number] }
  });
  t.ok(Math.abs(b.diff_constant.mean - (b.learned_mean - b.best_constant.mean)) < 1e-6, 'the difference is learned − constant');
  t.ok(b.diff_rule.ci95[0] <= b.diff_rule.mean && b.diff_rule.mean <= b.diff_rule.ci95[1]);

  const run = (await get(`/api/training/runs/${run_id}`)).body;
  t.equal(restBodyError('Run', run), null);
  t.same(run.baselines, b, 'the run stores the baselines');
  t.same(run.training_settings, started.data.training_settings, 'the run stores the settings');

  const model = await get(`/api/models/${encodeURIComponent(done.data.model_name)}`);
  t.equal(model.status, 200);
  t.same(model.body.final_metrics.baselines, b, 'GET /api/models/:name returns the baselines');
  const stored = await server.app.storage.models.get(done.data.model_name);
  t.same(stored?.model.training_settings, started.data.training_settings, 'the model file records the settings');
});

t.test('a start without num_episodes trains the auto budget of the scenario', async (t) => {
  const c = await server.connect();
  await c.subscribe();
  const { run_id } = await startRun(server.app, { scenario_name: 'small', seed: 4 });
  const started = await c.next((f) => f.run_id === run_id && f.type === 'training_started');
  const expected = resolveTrainingSettings(parseScenarioYaml(fixture('test_scenario')).config);
  t.equal(started.data.num_episodes, expected.num_episodes);
  t.match(started.data.training_settings, { auto: true, episodes_explicit: false, num_episodes: expected.num_episodes });
  await server.app.inject({ method: 'POST', url: '/api/training/stop', payload: { run_id } });
  const done = await c.terminal(run_id);
  t.equal(done.type, 'training_stopped');
  t.notOk((await get(`/api/training/runs/${run_id}`)).body.baselines, 'a stopped run has no baselines');
});
