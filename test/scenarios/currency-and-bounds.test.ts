import t from 'tap';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { restBodyError } from '../helpers/schemas.js';

const app = await buildApp(testConfig({ dataDir: t.testdir(), rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers?: Record<string, string>) => {
  const res = await app.inject({ method, url, payload: payload as string | object | undefined, headers });
  return { status: res.statusCode, body: (String(res.headers['content-type'] ?? '').startsWith('application/json') ? res.json() : res.body) as Json & string };
};
const yaml = { 'content-type': 'application/yaml' };
const env = { income: 3000, fixed_expenses: 1200, variable_expense_mean: 600 };

t.test('currency', async (t) => {
  t.test('a scenario without a currency is in euros, on every route', async (t) => {
    const created = await req('POST', '/api/scenarios', { name: 'plain', environment: env });
    t.equal(created.status, 201);
    t.equal(created.body.currency, 'EUR');
    t.equal(restBodyError('ScenarioResponse', created.body), null);
    t.equal((await req('GET', '/api/scenarios/plain')).body.currency, 'EUR');
    const list = await req('GET', '/api/scenarios');
    t.equal(list.body.scenarios.find((s: Json) => s.name === 'plain').currency, 'EUR');
    t.equal(restBodyError('ScenarioListResponse', list.body), null);
  });

  t.test('a given currency is stored, exported as a top-level YAML key and imported back', async (t) => {
    const created = await req('POST', '/api/scenarios', { name: 'zurich', description: 'Francs', currency: 'CHF', environment: env });
    t.equal(created.status, 201);
    t.equal(created.body.currency, 'CHF');
    const exported = await req('GET', '/api/scenarios/zurich/export');
    t.match(exported.body, /^currency: CHF$/m);
    const imported = await req('POST', '/api/scenarios/import?name=zurich-copy', exported.body, yaml);
    t.equal(imported.status, 201);
    t.equal(imported.body.currency, 'CHF');
    t.same(imported.body.environment, created.body.environment);
  });

  t.test('PUT replaces the currency and, like the description, resets it to EUR when left out', async (t) => {
    await req('POST', '/api/scenarios', { name: 'london', currency: 'GBP', environment: env });
    const usd = await req('PUT', '/api/scenarios/london', { currency: 'USD', environment: env });
    t.equal(usd.status, 200);
    t.equal(usd.body.currency, 'USD');
    t.equal((await req('GET', '/api/scenarios/london')).body.currency, 'USD');
    t.equal((await req('PUT', '/api/scenarios/london', { environment: env })).body.currency, 'EUR');
  });

  t.test('a code that is not ISO 4217 is refused with 400 naming the field', async (t) => {
    for (const currency of ['eur', 'EURO', '€', 'XQQ']) {
      const res = await req('POST', '/api/scenarios', { name: 'bad-currency', currency, environment: env });
      t.equal(res.status, 400, currency);
      t.match(res.body.message, /body\/currency/, currency);
    }
    const put = await req('PUT', '/api/scenarios/plain', { currency: 'ZZZ', environment: env });
    t.equal(put.status, 400);
    t.match(put.body.message, /body\/currency must be a known ISO 4217 currency code/);
    const imported = await req('POST', '/api/scenarios/import?name=bad-currency', 'currency: dollars\nenvironment:\n  income: 3000\n', yaml);
    t.equal(imported.status, 400);
    t.match(imported.body.message, /currency must be an ISO 4217 code/);
    t.equal((await req('GET', '/api/scenarios/bad-currency')).status, 404, 'nothing was stored');
  });
});

t.test('bounds', async (t) => {
  t.test('amounts, months and reward weights beyond their bound get 400 naming the field and the bound', async (t) => {
    const cases: Array<[Json, RegExp]> = [
      [{ environment: { ...env, income: 2e9 } }, /body\/environment\/income must be <= 1000000000/],
      [{ environment: { ...env, fixed_expenses: 1e12 } }, /body\/environment\/fixed_expenses/],
      [{ environment: { ...env, initial_cash: 1e300 } }, /body\/environment\/initial_cash/],
      [{ environment: { ...env, max_months: 100_000 } }, /body\/environment\/max_months must be <= 1200/],
      [{ environment: env, reward: { alpha: 1e9 } }, /body\/reward\/alpha/],
      [{ environment: env, reward: { lambda_: 1e9 } }, /body\/reward\/lambda_/],
      [{ environment: env, training: { batch_size: 1_000_000 } }, /body\/training\/batch_size/],
      [{ environment: env, training: { num_episodes: 2_000_000 } }, /body\/training\/num_episodes/]
    ];
    for (const [body, message] of cases) {
      const res = await req('POST', '/api/scenarios', { name: 'too-big', ...body });
      t.equal(res.status, 400, JSON.stringify(body));
      t.match(res.body.message, message);
    }
    t.equal((await req('GET', '/api/scenarios/too-big')).status, 404);
  });

  t.test('the same bounds hold for a YAML import', async (t) => {
    const res = await req('POST', '/api/scenarios/import?name=long', 'environment:\n  max_months: 50000\n', yaml);
    t.equal(res.status, 400);
    t.match(res.body.message, /environment\.max_months must be an integer in \(0, 1200\]/);
  });

  t.test('values at the bounds are accepted', async (t) => {
    const res = await req('POST', '/api/scenarios', {
      name: 'at-bounds',
      environment: { income: 1e9, fixed_expenses: 1e9, initial_cash: 1e9, safety_threshold: 1e9, max_months: 1200 },
      reward: { alpha: 1e6 }
    });
    t.equal(res.status, 201);
  });
});

t.test('training.auto', async (t) => {
  t.test('defaults to true, can be turned off, and survives export and import', async (t) => {
    t.equal((await req('POST', '/api/scenarios', { name: 'auto-default', environment: env })).body.training.auto, true);
    const off = await req('POST', '/api/scenarios', { name: 'auto-off', environment: env, training: { auto: false, gamma_low: 0.99 } });
    t.equal(off.status, 201);
    t.match(off.body.training, { auto: false, gamma_low: 0.99 });
    const exported = await req('GET', '/api/scenarios/auto-off/export');
    t.match(exported.body, /auto: false/);
    const back = await req('POST', '/api/scenarios/import?name=auto-off-copy', exported.body, yaml);
    t.equal(back.body.training.auto, false);
  });

  t.test('a value that is not a boolean is refused naming the field', async (t) => {
    const res = await req('POST', '/api/scenarios', { name: 'auto-bad', environment: env, training: { auto: 'sometimes' } });
    t.equal(res.status, 400);
    t.match(res.body.message, /body\/training\/auto/);
  });
});
