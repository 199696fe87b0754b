import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { RunEvent } from '../../src/contracts/events.js';

// Models saved by real training runs, seen through the model routes.
const app = await buildApp(loadConfig({}, { dataDir: t.testdir(), workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers?: Record<string, string>) => {
  const res = await app.inject({ method, url, payload: payload as string | object | undefined, headers });
  return { status: res.statusCode, body: res.json() as Json };
};

/** Resolves with the first bus event of `runId` that `test` accepts. */
const eventOf = (runId: () => string | undefined, test: (e: RunEvent) => boolean) =>
  new Promise<RunEvent>((resolve) => {
    const off = app.bus.subscribe(({ event }) => {
      if (event.run_id === runId() && test(event)) {
        off();
        resolve(event);
      }
    });
  });

const yaml = readFileSync(new URL('../../examples/scenarios/balanced.yaml', import.meta.url), 'utf8');
t.equal((await req('POST', '/api/scenarios/import?name=saver', yaml, { 'content-type': 'application/yaml' })).status, 201);

t.test('a stopped run saves its model under <scenario>-<run_id>, with the history it trained', async (t) => {
  let runId: string | undefined;
  const progressed = eventOf(() => runId, (e) => e.type === 'training_progress' && (e.data as Json).episode >= 3);
  const stopped = eventOf(() => runId, (e) => e.type === 'training_stopped');
  const start = await req('POST', '/api/training/start', { scenario_name: 'saver', num_episodes: 100_000, seed: 5, eval_episodes: 0 });
  t.equal(start.status, 202);
  runId = start.body.data.run_id;
  await progressed;
  t.equal((await req('POST', '/api/training/stop', { run_id: runId })).status, 200);
  const end = (await stopped).data as Json;
  t.equal(end.model_name, `saver-${runId}`);
  const model = await req('GET', `/api/models/${end.model_name}`);
  t.equal(model.status, 200);
  t.match(model.body, { scenario_name: 'saver', run_id: runId, episodes: end.episodes_completed });
  t.equal(model.body.training_history.episode_reward.count, end.episodes_completed);
  const listed = (await req('GET', '/api/models')).body.models.map((m: Json) => m.name);
  t.ok(listed.includes(end.model_name));
});

t.test('a run asking for an existing model name is refused with 409 and the model is untouched', async (t) => {
  const existing = (await req('GET', '/api/models')).body.models[0];
  const before = await req('GET', `/api/models/${existing.name}`);
  const res = await req('POST', '/api/training/start', { scenario_name: 'saver', num_episodes: 5, model_name: existing.name });
  t.equal(res.status, 409);
  t.same((await req('GET', `/api/models/${existing.name}`)).body, before.body);
});

t.test('a completed run with a requested name saves exactly that model', async (t) => {
  let runId: string | undefined;
  const completed = eventOf(() => runId, (e) => e.type === 'training_completed');
  const start = await req('POST', '/api/training/start', { scenario_name: 'saver', num_episodes: 4, seed: 6, eval_episodes: 2, model_name: 'saver-named' });
  runId = start.body.data.run_id;
  const done = (await completed).data as Json;
  t.equal(done.model_name, 'saver-named');
  const model = (await req('GET', '/api/models/saver-named')).body;
  t.same(model.final_metrics, done.final_metrics);
  t.equal(model.final_reward, done.final_metrics.final_reward);
  t.equal(model.training_history.episode_reward.count, 4);
  const status = (await req('GET', '/api/training/status')).body;
  t.match(status, { is_training: false, run_id: runId, status: 'completed' }, 'the status is not left saying training');
});
