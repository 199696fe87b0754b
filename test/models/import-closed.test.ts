import t from 'tap';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { restBodyError } from '../helpers/schemas.js';
import { seedTrainedModel } from './seed.js';

const app = await buildApp(testConfig({ dataDir: t.testdir(), rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await app.inject({ method, url, payload: payload as string | object | undefined, headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, body: res.json() as Json };
};

await seedTrainedModel(app, { scenario: 'home', model: 'home-model', episodes: 5 });
const exported = (await req('GET', '/api/models/home-model/export')).body;

const baselines = {
  episodes: 200,
  learned_mean: 12.5,
  best_constant: { allocation: [0.6, 0.3, 0.1], mean: 10 },
  best_rule: { name: 'emergency_fund_first', params: { k: 1.5 }, mean: 11 },
  diff_constant: { mean: 2.5, ci95: [1.9, 3.1] },
  diff_rule: { mean: 1.5, ci95: [0.8, 2.2] }
};

t.test('an import with its baseline comparison keeps it and the model detail returns it', async (t) => {
  const body = { ...exported, final_metrics: { ...exported.final_metrics, baselines } };
  const res = await req('POST', '/api/models/import?name=with-baselines', body);
  t.equal(res.status, 201);
  t.same(res.body.final_metrics.baselines, baselines);
  const detail = await req('GET', '/api/models/with-baselines');
  t.same(detail.body.final_metrics.baselines, baselines);
  t.equal(restBodyError('ModelDetailResponse', detail.body), null);
});

t.test('unknown keys anywhere in the import body are refused with 400 naming where, and nothing is stored', async (t) => {
  const cases: Array<[string, Json, RegExp]> = [
    ['top level', { ...exported, junk: 'x' }, /body has unknown field 'junk'/],
    ['final_metrics', { ...exported, final_metrics: { ...exported.final_metrics, junk: 'x'.repeat(1000) } }, /body\/final_metrics/],
    [
      'final_metrics.baselines',
      { ...exported, final_metrics: { ...exported.final_metrics, baselines: { ...baselines, per_episode: [1, 2, 3] } } },
      /body\/final_metrics/
    ],
    [
      'final_metrics.baselines.best_rule',
      { ...exported, final_metrics: { ...exported.final_metrics, baselines: { ...baselines, best_rule: { ...baselines.best_rule, extra: 1 } } } },
      /body\/final_metrics/
    ],
    ['model', { ...exported, model: { ...exported.model, extra: 1 } }, /body\/model/]
  ];
  for (const [where, body, message] of cases) {
    const res = await req('POST', '/api/models/import?name=junk-model', body);
    t.equal(res.status, 400, where);
    t.match(res.body.message, message, where);
  }
  t.equal((await req('GET', '/api/models/junk-model')).status, 404);
});

t.test('an import body over 1 MiB is refused with 413 before it is parsed', async (t) => {
  const padding = 'x'.repeat(1024 * 1024);
  const res = await app.inject({
    method: 'POST',
    url: '/api/models/import?name=huge',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ ...exported, name: padding })
  });
  t.equal(res.statusCode, 413);
  t.equal((await req('GET', '/api/models/huge')).status, 404);
});

t.test('a real exported model is well below the import cap', async (t) => {
  t.ok(Buffer.byteLength(JSON.stringify(exported)) < 256 * 1024);
});
