import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { seedTrainedModel } from './seed.js';

const app = await buildApp(loadConfig({}, { dataDir: t.testdir(), workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
  const res = await app.inject({ method, url, payload: payload as object | undefined });
  return { status: res.statusCode, body: res.json() as Json, headers: res.headers };
};

const seeded = await seedTrainedModel(app, { scenario: 'home', model: 'home-model', episodes: 15 });
await seedTrainedModel(app, { scenario: 'home', model: 'second-model', episodes: 5, seed: 9 });

t.test('list', async (t) => {
  t.test('lists saved models newest first with the summary fields from the final metrics', async (t) => {
    const res = await req('GET', '/api/models');
    t.equal(res.status, 200);
    t.equal(res.body.total, 2);
    t.same(res.body.models.map((m: Json) => m.name), ['second-model', 'home-model']);
    const m = res.body.models[1];
    t.match(m, {
      name: 'home-model',
      scenario_name: 'home',
      run_id: seeded.runId,
      episodes: 15,
      final_reward: seeded.finalMetrics.final_reward,
      avg_reward: seeded.finalMetrics.avg_reward,
      max_reward: seeded.finalMetrics.max_reward,
      final_duration: seeded.finalMetrics.avg_duration,
      final_cash: seeded.finalMetrics.avg_cash,
      final_invested: seeded.finalMetrics.avg_invested
    });
    t.ok(m.size_mb > 0);
    t.ok(Date.parse(m.trained_at) > 0);
  });
});

t.test('detail', async (t) => {
  t.test("returns the configs, the history summary per metric and the final metrics", async (t) => {
    const res = await req('GET', '/api/models/home-model');
    t.equal(res.status, 200);
    t.same(res.body.environment, seeded.config.environment);
    t.same(res.body.training, seeded.config.training);
    t.same(res.body.reward, seeded.config.reward);
    t.same(res.body.final_metrics, seeded.finalMetrics);
    const rewards = seeded.history.map((h) => h.episode_reward);
    const summary = res.body.training_history.episode_reward;
    t.equal(summary.count, 15);
    t.equal(summary.first, rewards[0]);
    t.equal(summary.last, rewards[14]);
    t.equal(summary.min, Math.min(...rewards));
    t.equal(summary.max, Math.max(...rewards));
    t.ok(Math.abs(summary.mean - rewards.reduce((a, b) => a + b, 0) / 15) < 1e-9);
    t.notOk('episode' in res.body.training_history, 'the episode number is not a metric');
    for (const key of ['final_cash', 'total_invested', 'portfolio_value', 'cash_stability_index', 'goal_adherence']) {
      t.equal(res.body.training_history[key]?.count, 15, key);
    }
  });

  t.test('answers the same detail from its cache', async (t) => {
    const a = await req('GET', '/api/models/home-model');
    const b = await req('GET', '/api/models/home-model');
    t.same(a.body, b.body);
  });

  t.test('answers 404 naming an unknown model and 400 for a malformed name', async (t) => {
    const res = await req('GET', '/api/models/ghost');
    t.equal(res.status, 404);
    t.match(res.body.message, /model "ghost" not found/);
    t.equal((await req('GET', '/api/models/.bad')).status, 400);
  });
});

t.test('export and import', async (t) => {
  t.test('exports weights and config as a JSON attachment', async (t) => {
    const res = await req('GET', '/api/models/home-model/export');
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^application\/json/);
    t.equal(res.headers['content-disposition'], 'attachment; filename="home-model.json"');
    t.match(res.body, { format: 'hrl-finance-model-export', version: 1, name: 'home-model', scenario_name: 'home', episodes: 15 });
    t.equal(res.body.model.format, 'hrl-finance-model');
    t.same(res.body.model.config, seeded.config);
    const stored = await app.storage.models.get('home-model');
    t.same(res.body.model, stored!.model, 'every weight round-trips');
  });

  t.test('imports an exported model under a new name with identical weights', async (t) => {
    const exported = (await req('GET', '/api/models/home-model/export')).body;
    const res = await req('POST', '/api/models/import?name=home-copy', exported);
    t.equal(res.status, 201);
    t.match(res.body, { name: 'home-copy', scenario_name: 'home', episodes: 15, run_id: null });
    t.same(res.body.final_metrics, seeded.finalMetrics);
    t.same(res.body.training_history, {}, 'an imported model carries no run history');
    t.same((await app.storage.models.get('home-copy'))!.model, (await app.storage.models.get('home-model'))!.model);
  });

  t.test('answers 409 for an import onto an existing name and never overwrites it', async (t) => {
    const exported = (await req('GET', '/api/models/second-model/export')).body;
    const before = await app.storage.models.get('home-model');
    const res = await req('POST', '/api/models/import?name=home-model', exported);
    t.equal(res.status, 409);
    t.equal(res.body.code, 'HRL_MODEL_EXISTS');
    t.same(await app.storage.models.get('home-model'), before);
  });

  t.test('rejects a corrupted model with 400 naming the problem', async (t) => {
    const exported = (await req('GET', '/api/models/home-model/export')).body;
    const broken = structuredClone(exported);
    broken.model.executor.policy = broken.model.executor.policy.slice(1);
    const res = await req('POST', '/api/models/import?name=broken', broken);
    t.equal(res.status, 400);
    t.match(res.body.message, /body\/model\.executor\.policy must hold/);
    const wrongFormat = { ...exported, model: { format: 'pickle' } };
    t.match((await req('POST', '/api/models/import?name=broken', wrongFormat)).body.message, /model\.format/);
    t.equal((await req('GET', '/api/models/broken')).status, 404);
  });

  t.test('rejects an import body that is not an export', async (t) => {
    t.match((await req('POST', '/api/models/import', { name: 'x' })).body, { statusCode: 400, message: /body\/format is required/ });
    const exported = (await req('GET', '/api/models/home-model/export')).body;
    t.match((await req('POST', '/api/models/import?name=x2', { ...exported, extra: true })).body, { statusCode: 400, message: /unknown field 'extra'/ });
    t.match((await req('POST', '/api/models/import?name=bad%20name', exported)).body, { statusCode: 400, message: /querystring\/name/ });
  });

  t.test('answers 404 for the export of an unknown model', async (t) => {
    t.equal((await req('GET', '/api/models/ghost/export')).status, 404);
  });
});

t.test('delete', async (t) => {
  t.test('deletes a model, then answers 404 for it', async (t) => {
    const res = await req('DELETE', '/api/models/home-copy');
    t.equal(res.status, 200);
    t.match(res.body, { name: 'home-copy' });
    t.equal((await req('GET', '/api/models/home-copy')).status, 404);
    t.equal((await req('DELETE', '/api/models/home-copy')).status, 404);
  });

  t.test('a deleted and re-imported name shows the new model, not a cached one', async (t) => {
    const exported = (await req('GET', '/api/models/second-model/export')).body;
    await req('GET', '/api/models/home-model');
    t.equal((await req('DELETE', '/api/models/home-model')).status, 200);
    t.equal((await req('POST', '/api/models/import?name=home-model', exported)).status, 201);
    const detail = await req('GET', '/api/models/home-model');
    t.equal(detail.body.episodes, 5);
    t.same(detail.body.training_history, {});
  });
});
