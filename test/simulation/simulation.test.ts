import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { newSimulationId } from '../../src/simulation/simulation-service.js';
import { seedTrainedModel } from '../models/seed.js';

const app = await buildApp(loadConfig({}, { dataDir: t.testdir(), workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await app.inject({ method, url, payload: payload as object | undefined });
  return { status: res.statusCode, body: res.json() as Json };
};
const run = (body: Json) => req('POST', '/api/simulation/run', body);
const withoutIdentity = ({ simulation_id: _i, timestamp: _t, ...rest }: Json) => rest;

await seedTrainedModel(app, { scenario: 'market', model: 'market-model', episodes: 10, environment: { investment_return_type: 'stochastic', investment_return_mean: 0.01 } });
const now = new Date().toISOString();
const base = (await app.storage.scenarios.get('market'))!;
await app.storage.scenarios.insert({
  name: 'no-returns',
  description: '',
  config: { ...base.config, environment: { ...base.config.environment, investment_return_type: 'none' } },
  created_at: now,
  updated_at: now
});

t.test('run', async (t) => {
  t.test('answers 201 with the original result fields, computed in a worker', async (t) => {
    const res = await run({ model_name: 'market-model', num_episodes: 4, seed: 11 });
    t.equal(res.status, 201);
    const r = res.body;
    t.match(r, { scenario_name: 'market', model_name: 'market-model', num_episodes: 4, seed: 11 });
    t.match(r.simulation_id, /^sim_[a-z0-9]+_[0-9a-f]{16}$/);
    for (const k of ['duration', 'final_cash', 'final_invested', 'final_portfolio', 'total_wealth', 'investment_gains']) {
      t.type(r[`${k}_mean`], 'number', `${k}_mean`);
      t.type(r[`${k}_std`], 'number', `${k}_std`);
    }
    t.ok(Math.abs(r.avg_invest_pct + r.avg_save_pct + r.avg_consume_pct - 100) < 1e-6, 'the allocation shares add up to 100 %');
    t.equal(r.episodes.length, 4);
    const e = r.episodes[0];
    t.equal(e.episode_id, 1);
    t.equal(e.months.length, e.duration);
    t.equal(e.cash_history.length, e.duration);
    t.equal(e.portfolio_history.length, e.duration);
    t.equal(e.actions.length, e.duration);
    t.equal(e.actions[0].length, 3);
  });

  t.test('reports a portfolio value that is not zero when returns are on, and wealth = cash + portfolio', async (t) => {
    const r = (await run({ model_name: 'market-model', num_episodes: 5, seed: 3 })).body;
    t.ok(r.final_invested_mean > 0, 'the policy invests');
    t.ok(r.final_portfolio_mean > 0, 'portfolio value is reported (the original always said 0)');
    for (const e of r.episodes) {
      t.ok(e.final_portfolio_value > 0);
      t.ok(Math.abs(e.total_wealth - (e.final_cash + e.final_portfolio_value)) < 1e-6);
      t.ok(Math.abs(e.investment_gains - (e.final_portfolio_value - e.final_invested)) < 1e-6);
      t.equal(e.portfolio_history[e.portfolio_history.length - 1], e.final_portfolio_value);
    }
    t.not(r.investment_gains_mean, 0, 'stochastic returns move the portfolio away from the contributions');
  });

  t.test("simulates on a stored scenario's config when scenario_name is given", async (t) => {
    const r = (await run({ model_name: 'market-model', scenario_name: 'no-returns', num_episodes: 3, seed: 3 })).body;
    t.equal(r.scenario_name, 'no-returns');
    t.ok(r.final_portfolio_mean > 0);
    t.ok(Math.abs(r.investment_gains_mean) < 1e-6, 'without returns the portfolio is exactly the contributions');
  });

  t.test('is deterministic for a given seed and differs for another seed', async (t) => {
    const a = (await run({ model_name: 'market-model', num_episodes: 3, seed: 42 })).body;
    const b = (await run({ model_name: 'market-model', num_episodes: 3, seed: 42 })).body;
    const c = (await run({ model_name: 'market-model', num_episodes: 3, seed: 43 })).body;
    t.not(a.simulation_id, b.simulation_id);
    t.same(withoutIdentity(a), withoutIdentity(b));
    t.notSame(a.episodes, c.episodes);
  });

  t.test('chooses and returns a seed when none is given', async (t) => {
    const r = (await run({ model_name: 'market-model', num_episodes: 1 })).body;
    t.type(r.seed, 'number');
    const again = (await run({ model_name: 'market-model', num_episodes: 1, seed: r.seed })).body;
    t.same(again.episodes, r.episodes);
  });

  t.test('defaults to 10 episodes', async (t) => {
    t.equal((await run({ model_name: 'market-model', seed: 1 })).body.episodes.length, 10);
  });

  t.test('gives every one of 20 concurrent requests its own id and stored result', async (t) => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => run({ model_name: 'market-model', num_episodes: 1, seed: i })));
    t.ok(results.every((r) => r.status === 201));
    const ids = new Set(results.map((r) => r.body.simulation_id));
    t.equal(ids.size, 20);
    for (const r of results) {
      const stored = await req('GET', `/api/simulation/results/${r.body.simulation_id}`);
      t.equal(stored.body.seed, r.body.seed, 'no result overwrote another');
    }
  });

  t.test('ids made in the same millisecond never collide', async (t) => {
    const ids = new Set(Array.from({ length: 10_000 }, newSimulationId));
    t.equal(ids.size, 10_000);
  });

  t.test('keeps the event loop free while a long simulation runs', async (t) => {
    const pending = run({ model_name: 'market-model', num_episodes: 500, seed: 5 });
    // Let the job reach the worker, then time a cheap route.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const health = await app.inject({ method: 'GET', url: '/health' });
    const elapsed = performance.now() - started;
    t.equal(health.statusCode, 200);
    t.ok(elapsed < 500, `health answered in ${elapsed.toFixed(0)} ms during the simulation`);
    const res = await pending;
    t.equal(res.status, 201);
    t.equal(res.body.episodes.length, 500);
  });
});

t.test('validation and missing resources', async (t) => {
  const cases: Array<[string, Json, RegExp]> = [
    ['a missing model_name', { num_episodes: 1 }, /body\/model_name is required/],
    ['0 episodes', { model_name: 'market-model', num_episodes: 0 }, /body\/num_episodes must be >= 1/],
    ['more than 1000 episodes', { model_name: 'market-model', num_episodes: 1001 }, /body\/num_episodes must be <= 1000/],
    ['a fractional episode count', { model_name: 'market-model', num_episodes: 1.5 }, /body\/num_episodes must be integer/],
    ['a negative seed', { model_name: 'market-model', seed: -1 }, /body\/seed must be >= 0/],
    ['an unknown field', { model_name: 'market-model', episodes: 3 }, /body has unknown field 'episodes'/],
    ['a malformed scenario name', { model_name: 'market-model', scenario_name: 'a b' }, /body\/scenario_name/]
  ];
  for (const [what, body, message] of cases) {
    t.test(`rejects ${what} with 400 naming the field`, async (t) => {
      const res = await run(body);
      t.equal(res.status, 400);
      t.match(res.body.message, message);
    });
  }
  t.test('answers 404 naming an unknown model or scenario', async (t) => {
    t.match(await run({ model_name: 'ghost' }), { status: 404, body: { message: /model "ghost"/ } });
    t.match(await run({ model_name: 'market-model', scenario_name: 'ghost' }), { status: 404, body: { message: /scenario "ghost"/ } });
  });
});

t.test('results and history', async (t) => {
  t.test('serves a stored result exactly as the run answered it', async (t) => {
    const created = (await run({ model_name: 'market-model', num_episodes: 2, seed: 8 })).body;
    const stored = await req('GET', `/api/simulation/results/${created.simulation_id}`);
    t.equal(stored.status, 200);
    t.same(stored.body, created);
  });

  t.test('answers 404 for an unknown result and 400 for a malformed id', async (t) => {
    t.equal((await req('GET', '/api/simulation/results/sim_abc_0123456789abcdef')).status, 404);
    t.equal((await req('GET', '/api/simulation/results/nope')).status, 400);
  });

  t.test('lists simulations newest first with their summary, filterable by model', async (t) => {
    const latest = (await run({ model_name: 'market-model', num_episodes: 2, seed: 99 })).body;
    const res = await req('GET', '/api/simulation/history?limit=5');
    t.equal(res.status, 200);
    t.equal(res.body.simulations.length, 5);
    t.ok(res.body.total > 5);
    t.same(res.body.simulations[0], {
      simulation_id: latest.simulation_id,
      scenario_name: 'market',
      model_name: 'market-model',
      num_episodes: 2,
      timestamp: latest.timestamp,
      seed: 99,
      total_wealth_mean: latest.total_wealth_mean,
      duration_mean: latest.duration_mean
    });
    const times = res.body.simulations.map((s: Json) => s.timestamp);
    t.same([...times].sort().reverse(), times);
    t.equal((await req('GET', '/api/simulation/history?model_name=ghost')).body.total, 0);
    const page2 = await req('GET', '/api/simulation/history?limit=5&offset=5');
    t.notSame(page2.body.simulations[0].simulation_id, res.body.simulations[0].simulation_id);
  });
});
