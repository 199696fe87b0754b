import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const fixture = (name: string) => readFileSync(new URL(`../../examples/scenarios/${name}.yaml`, import.meta.url), 'utf8');

const app = await buildApp(loadConfig({}, { dataDir: t.testdir(), workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>) => {
  const res = await app.inject({ method, url, payload: payload as string | object | undefined, headers });
  return { status: res.statusCode, body: (String(res.headers['content-type'] ?? '').startsWith('application/json') ? res.json() : res.body) as Json & string, headers: res.headers };
};
const yaml = { 'content-type': 'application/yaml' };
const env = { income: 3000, fixed_expenses: 1200, variable_expense_mean: 600 };

t.test('templates', async (t) => {
  t.test('lists the five templates of the original with their figures', async (t) => {
    const res = await req('GET', '/api/scenarios/templates');
    t.equal(res.status, 200);
    const byName = Object.fromEntries(res.body.templates.map((x: Json) => [x.name, x]));
    t.same(Object.keys(byName), ['conservative', 'balanced', 'aggressive', 'young_professional', 'young_couple']);
    t.match(byName.young_professional, {
      display_name: 'Young Professional',
      environment: { income: 2000, fixed_expenses: 770, variable_expense_mean: 500, variable_expense_std: 120, safety_threshold: 5000, initial_cash: 5000, risk_tolerance: 0.65, investment_return_mean: 0.005, investment_return_std: 0.02 }
    });
    for (const tpl of res.body.templates) {
      t.match(tpl.environment, { max_months: 120, inflation: 0.02, investment_return_type: 'stochastic' }, tpl.name);
      t.equal(tpl.training.num_episodes, 1000, `${tpl.name} has training defaults`);
      t.equal(tpl.reward.lambda, 1, `${tpl.name} has reward defaults`);
    }
  });

  t.test('a template can be posted as a scenario body', async (t) => {
    const tpl = (await req('GET', '/api/scenarios/templates')).body.templates[2];
    const res = await req('POST', '/api/scenarios', { name: 'from-template', description: tpl.description, environment: tpl.environment, training: tpl.training, reward: tpl.reward });
    t.equal(res.status, 201);
    t.same(res.body.environment, tpl.environment);
  });
});

t.test('create, detail and list', async (t) => {
  t.test('creates a scenario with 201, keeps the description and fills defaults', async (t) => {
    const res = await req('POST', '/api/scenarios', { name: 'alpha', description: 'First one', environment: env });
    t.equal(res.status, 201);
    t.equal(res.body.description, 'First one');
    t.match(res.body.environment, { income: 3000, max_months: 60, investment_return_type: 'stochastic' });
    t.equal(res.body.training.num_episodes, 1000);
    t.same(res.body.reward, { alpha: 10, beta: 0.1, gamma: 5, delta: 20, lambda: 1, mu: 0.5 });
    t.equal(res.body.created_at, res.body.updated_at);
    const detail = await req('GET', '/api/scenarios/alpha');
    t.same(detail.body, res.body);
  });

  t.test('accepts the original spelling lambda_ for the reward lambda', async (t) => {
    const res = await req('POST', '/api/scenarios', { name: 'lam', environment: env, reward: { lambda_: 2.5 } });
    t.equal(res.status, 201);
    t.equal(res.body.reward.lambda, 2.5);
    const both = await req('POST', '/api/scenarios', { name: 'lam2', environment: env, reward: { lambda: 1, lambda_: 2 } });
    t.equal(both.status, 400);
    t.match(both.body.message, /reward\/lambda/);
  });

  t.test('lists scenarios newest first with the computed monthly margin', async (t) => {
    await req('POST', '/api/scenarios', { name: 'beta', environment: { income: 2000, fixed_expenses: 770, variable_expense_mean: 500 } });
    await req('POST', '/api/scenarios', { name: 'broke', environment: { income: 1000, fixed_expenses: 900, variable_expense_mean: 400 } });
    const res = await req('GET', '/api/scenarios');
    t.equal(res.status, 200);
    t.equal(res.body.total, res.body.scenarios.length);
    t.same(res.body.scenarios.slice(0, 2).map((s: Json) => s.name), ['broke', 'beta']);
    const beta = res.body.scenarios.find((s: Json) => s.name === 'beta');
    t.match(beta, { income: 2000, fixed_expenses: 770, variable_expenses: 500, available_monthly: 730, available_pct: 36.5, risk_tolerance: 0.5 });
    t.ok(beta.size > 0);
    const broke = res.body.scenarios.find((s: Json) => s.name === 'broke');
    t.match(broke, { available_monthly: -300, available_pct: -30 });
  });

  t.test('answers 404 naming an unknown scenario', async (t) => {
    const res = await req('GET', '/api/scenarios/nope');
    t.equal(res.status, 404);
    t.match(res.body, { statusCode: 404, code: 'HRL_NOT_FOUND', message: /"nope"/ });
  });

  t.test('answers 409 when the name is taken and leaves the stored scenario unchanged', async (t) => {
    const res = await req('POST', '/api/scenarios', { name: 'alpha', description: 'imposter', environment: { income: 1 } });
    t.equal(res.status, 409);
    t.equal(res.body.code, 'HRL_SCENARIO_EXISTS');
    t.equal((await req('GET', '/api/scenarios/alpha')).body.description, 'First one');
  });
});

t.test('validation', async (t) => {
  const cases: Array<[string, Json, RegExp]> = [
    ['a name with a space', { name: 'My Scenario', environment: env }, /body\/name "My Scenario" must be 1-100 characters of letters, digits/],
    ['a name needing sanitizing', { name: '../etc/passwd', environment: env }, /body\/name .* must be 1-100 characters/],
    ['a name starting with a dot', { name: '.hidden', environment: env }, /body\/name/],
    ['a name over 100 characters', { name: 'a'.repeat(101), environment: env }, /body\/name/],
    ['the reserved name templates', { name: 'templates', environment: env }, /body\/name "templates" is reserved/],
    ['income of 0', { name: 'v1', environment: { income: 0 } }, /body\/environment\/income must be > 0/],
    ['negative expenses', { name: 'v1', environment: { fixed_expenses: -1 } }, /body\/environment\/fixed_expenses must be >= 0/],
    ['negative std', { name: 'v1', environment: { variable_expense_std: -1 } }, /body\/environment\/variable_expense_std/],
    ['inflation above 1', { name: 'v1', environment: { inflation: 1.5 } }, /body\/environment\/inflation must be <= 1/],
    ['inflation below -1', { name: 'v1', environment: { inflation: -1.5 } }, /body\/environment\/inflation must be >= -1/],
    ['a fractional max_months', { name: 'v1', environment: { max_months: 1.5 } }, /body\/environment\/max_months must be integer/],
    ['max_months 0', { name: 'v1', environment: { max_months: 0 } }, /body\/environment\/max_months must be > 0/],
    ['risk_tolerance above 1', { name: 'v1', environment: { risk_tolerance: 1.2 } }, /body\/environment\/risk_tolerance must be <= 1/],
    ['a negative initial cash', { name: 'v1', environment: { initial_cash: -5 } }, /body\/environment\/initial_cash/],
    ['an unknown return type', { name: 'v1', environment: { investment_return_type: 'crypto' } }, /body\/environment\/investment_return_type/],
    ['gamma_low 0', { name: 'v1', environment: {}, training: { gamma_low: 0 } }, /body\/training\/gamma_low must be > 0/],
    ['gamma_high above 1', { name: 'v1', environment: {}, training: { gamma_high: 1.01 } }, /body\/training\/gamma_high must be <= 1/],
    ['batch_size 0', { name: 'v1', environment: {}, training: { batch_size: 0 } }, /body\/training\/batch_size/],
    ['a fractional high_period', { name: 'v1', environment: {}, training: { high_period: 2.5 } }, /body\/training\/high_period must be integer/],
    ['num_episodes 0', { name: 'v1', environment: {}, training: { num_episodes: 0 } }, /body\/training\/num_episodes/],
    ['learning rate 0', { name: 'v1', environment: {}, training: { learning_rate_low: 0 } }, /body\/training\/learning_rate_low must be > 0/],
    ['a negative reward weight', { name: 'v1', environment: {}, reward: { alpha: -1 } }, /body\/reward\/alpha must be >= 0/],
    ['a description over 500 characters', { name: 'v1', description: 'x'.repeat(501), environment: {} }, /body\/description/],
    ['a missing environment', { name: 'v1' }, /body\/environment is required/],
    ['a missing name', { environment: {} }, /body\/name is required/],
    ['an unknown top-level field', { name: 'v1', environment: {}, extra: 1 }, /body has unknown field 'extra'/],
    ['an unknown environment field', { name: 'v1', environment: { salary: 1 } }, /body\/environment has unknown field 'salary'/],
    ['a string where a number belongs', { name: 'v1', environment: { income: 'lots' } }, /body\/environment\/income must be number/]
  ];
  for (const [what, body, message] of cases) {
    t.test(`rejects ${what} with 400 naming the field`, async (t) => {
      const res = await req('POST', '/api/scenarios', body);
      t.equal(res.status, 400);
      t.match(res.body, { statusCode: 400, error: 'Bad Request', message });
    });
  }
  t.test('stores nothing for a rejected body (a bad name is never rewritten)', async (t) => {
    const names = (await req('GET', '/api/scenarios')).body.scenarios.map((s: Json) => s.name);
    t.notOk(names.some((n: string) => /^(v1|My|etc|passwd|hidden|templates)/i.test(n) || n.includes('_passwd')), names.join(','));
  });
});

t.test('update and rename', async (t) => {
  t.test('replaces the whole scenario, keeps created_at and moves updated_at', async (t) => {
    const before = (await req('POST', '/api/scenarios', { name: 'upd', description: 'old', environment: { income: 1000 }, training: { batch_size: 64 } })).body;
    const res = await req('PUT', '/api/scenarios/upd', { description: 'new', environment: { income: 2000 } });
    t.equal(res.status, 200);
    t.equal(res.body.name, 'upd');
    t.equal(res.body.description, 'new');
    t.equal(res.body.environment.income, 2000);
    t.equal(res.body.training.batch_size, 32, 'a full replace: an omitted block goes back to its defaults');
    t.equal(res.body.created_at, before.created_at);
    t.ok(res.body.updated_at >= before.updated_at);
    t.same((await req('GET', '/api/scenarios/upd')).body, res.body);
  });

  t.test('renames with the body name: the old name is gone, the new one holds the data', async (t) => {
    await req('POST', '/api/scenarios', { name: 'ren-a', description: 'keep me', environment: { income: 1234 } });
    const res = await req('PUT', '/api/scenarios/ren-a', { name: 'ren-b', description: 'keep me', environment: { income: 1234 } });
    t.equal(res.status, 200);
    t.equal(res.body.name, 'ren-b');
    t.equal((await req('GET', '/api/scenarios/ren-a')).status, 404);
    t.equal((await req('GET', '/api/scenarios/ren-b')).body.environment.income, 1234);
  });

  t.test('answers 409 when renaming onto an existing scenario, and both stay intact', async (t) => {
    await req('POST', '/api/scenarios', { name: 'keep-1', description: 'one', environment: {} });
    await req('POST', '/api/scenarios', { name: 'keep-2', description: 'two', environment: {} });
    const res = await req('PUT', '/api/scenarios/keep-1', { name: 'keep-2', environment: {} });
    t.equal(res.status, 409);
    t.equal((await req('GET', '/api/scenarios/keep-1')).body.description, 'one');
    t.equal((await req('GET', '/api/scenarios/keep-2')).body.description, 'two');
  });

  t.test('rejects a rename to a bad or reserved name with 400', async (t) => {
    await req('POST', '/api/scenarios', { name: 'stay', environment: {} });
    t.equal((await req('PUT', '/api/scenarios/stay', { name: 'templates', environment: {} })).status, 400);
    t.equal((await req('PUT', '/api/scenarios/stay', { name: 'a/b', environment: {} })).status, 400);
    t.equal((await req('GET', '/api/scenarios/stay')).status, 200);
  });

  t.test('answers 404 for an update of an unknown scenario', async (t) => {
    const res = await req('PUT', '/api/scenarios/ghost', { environment: {} });
    t.equal(res.status, 404);
    t.match(res.body.message, /"ghost"/);
  });

  t.test('two concurrent renames onto one name: exactly one wins, the other gets 409, nothing is lost', async (t) => {
    for (let round = 0; round < 5; round++) {
      await req('POST', '/api/scenarios', { name: `race-x${round}`, description: 'x', environment: {} });
      await req('POST', '/api/scenarios', { name: `race-y${round}`, description: 'y', environment: {} });
      const target = `race-z${round}`;
      const [a, b] = await Promise.all([
        req('PUT', `/api/scenarios/race-x${round}`, { name: target, description: 'x', environment: {} }),
        req('PUT', `/api/scenarios/race-y${round}`, { name: target, description: 'y', environment: {} })
      ]);
      t.same([a.status, b.status].sort(), [200, 409], `round ${round}`);
      const winner = a.status === 200 ? 'x' : 'y';
      const loser = winner === 'x' ? 'y' : 'x';
      t.equal((await req('GET', `/api/scenarios/${target}`)).body.description, winner);
      t.equal((await req('GET', `/api/scenarios/race-${loser}${round}`)).status, 200, 'the loser keeps its name');
    }
  });

  t.test('a rename has no window where neither name exists', async (t) => {
    await req('POST', '/api/scenarios', { name: 'hop-0', environment: {} });
    for (let i = 0; i < 10; i++) {
      const results = await Promise.all([
        req('PUT', `/api/scenarios/hop-${i}`, { name: `hop-${i + 1}`, environment: {} }),
        ...Array.from({ length: 6 }, () => req('GET', '/api/scenarios'))
      ]);
      t.equal(results[0]!.status, 200);
      for (const list of results.slice(1)) {
        const present = list.body.scenarios.map((s: Json) => s.name).filter((n: string) => n === `hop-${i}` || n === `hop-${i + 1}`);
        t.equal(present.length, 1, `exactly one of hop-${i}/hop-${i + 1} is listed`);
      }
    }
  });
});

t.test('delete', async (t) => {
  t.test('deletes a scenario, then answers 404 for it', async (t) => {
    await req('POST', '/api/scenarios', { name: 'doomed', environment: {} });
    const res = await req('DELETE', '/api/scenarios/doomed');
    t.equal(res.status, 200);
    t.match(res.body, { name: 'doomed' });
    t.equal((await req('GET', '/api/scenarios/doomed')).status, 404);
    t.equal((await req('DELETE', '/api/scenarios/doomed')).status, 404);
  });
});

t.test('YAML import and export', async (t) => {
  t.test('imports an original file with comments and lambda_', async (t) => {
    const res = await req('POST', '/api/scenarios/import?name=balanced-file', fixture('balanced'), yaml);
    t.equal(res.status, 201);
    t.match(res.body.environment, { income: 3200, max_months: 60, investment_return_type: 'stochastic' });
    t.equal(res.body.training.num_episodes, 5000);
    t.equal(res.body.reward.lambda, 1);
  });

  t.test('imports a file spelling lambda without the underscore', async (t) => {
    const res = await req('POST', '/api/scenarios/import?name=plain-lambda', fixture('test_scenario'), yaml);
    t.equal(res.status, 201);
    t.equal(res.body.reward.lambda, 1);
  });

  t.test('fills a missing block with defaults and uses the name and description in the file', async (t) => {
    const res = await req('POST', '/api/scenarios/import', 'name: from-file\ndescription: in the file\nenvironment:\n  income: 4100 # net\n', yaml);
    t.equal(res.status, 201);
    t.equal(res.body.name, 'from-file');
    t.equal(res.body.description, 'in the file');
    t.equal(res.body.training.batch_size, 32);
    t.equal(res.body.reward.mu, 0.5);
  });

  t.test('rejects a file without a name and no ?name=', async (t) => {
    const res = await req('POST', '/api/scenarios/import', fixture('test_scenario'), yaml);
    t.equal(res.status, 400);
    t.match(res.body.message, /querystring\/name is required/);
  });

  t.test('rejects invalid YAML, a broken rule and a bad name with 400', async (t) => {
    t.match((await req('POST', '/api/scenarios/import?name=bad1', 'environment: [unclosed', yaml)).body, { statusCode: 400, message: /YAML/ });
    t.match((await req('POST', '/api/scenarios/import?name=bad2', 'environment:\n  income: -5\n', yaml)).body, { statusCode: 400, message: /environment\.income/ });
    t.equal((await req('POST', '/api/scenarios/import?name=templates', fixture('test_scenario'), yaml)).status, 400);
    t.equal((await req('POST', '/api/scenarios/import', 'name: "bad name!"\nenvironment: {}\n', yaml)).status, 400);
  });

  t.test('answers 409 for an import onto an existing name', async (t) => {
    const res = await req('POST', '/api/scenarios/import?name=balanced-file', fixture('balanced'), yaml);
    t.equal(res.status, 409);
  });

  t.test('exports the original YAML format that imports back identically', async (t) => {
    await req('POST', '/api/scenarios', { name: 'roundtrip', description: 'Line one: "quoted" # not a comment', environment: { income: 2750.5, investment_return_type: 'fixed' }, reward: { lambda: 0.7 } });
    const exported = await req('GET', '/api/scenarios/roundtrip/export');
    t.equal(exported.status, 200);
    t.match(exported.headers['content-type'], /^application\/yaml/);
    t.equal(exported.headers['content-disposition'], 'attachment; filename="roundtrip.yaml"');
    t.match(exported.body, /lambda_: 0.7/);
    const original = (await req('GET', '/api/scenarios/roundtrip')).body;
    t.equal((await req('DELETE', '/api/scenarios/roundtrip')).status, 200);
    const reimported = await req('POST', '/api/scenarios/import', exported.body, yaml);
    t.equal(reimported.status, 201);
    for (const key of ['name', 'description', 'environment', 'training', 'reward']) t.same(reimported.body[key], original[key], key);
  });

  t.test('answers 404 for the export of an unknown scenario', async (t) => {
    t.equal((await req('GET', '/api/scenarios/ghost/export')).status, 404);
  });
});
