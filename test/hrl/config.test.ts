import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ScenarioConfigError, ScenarioConfigSchema, normalizeScenarioConfig, parseScenarioYaml, scenarioToYaml } from '../../src/hrl/config.js';

const FIXTURES = new URL('../../examples/scenarios/', import.meta.url);

t.test('an empty config gets the original defaults', async (t) => {
  const c = normalizeScenarioConfig({});
  t.strictSame(c.environment, {
    income: 3200,
    fixed_expenses: 1400,
    variable_expense_mean: 700,
    variable_expense_std: 100,
    inflation: 0.02,
    safety_threshold: 1000,
    max_months: 60,
    initial_cash: 0,
    risk_tolerance: 0.5,
    investment_return_mean: 0.005,
    investment_return_std: 0.02,
    investment_return_type: 'stochastic',
  });
  t.strictSame(c.training, { num_episodes: 1000, gamma_low: 0.95, gamma_high: 0.99, high_period: 6, batch_size: 32, learning_rate_low: 0.0003, learning_rate_high: 0.0001, auto: true });
  t.strictSame(c.reward, { alpha: 10, beta: 0.1, gamma: 5, delta: 20, lambda: 1, mu: 0.5 });
  t.ok(TypeCompiler.Compile(ScenarioConfigSchema).Check(c), 'the normalized config satisfies the schema');
});

t.test('lambda_ and lambda are both accepted and stored as lambda', async (t) => {
  t.equal(normalizeScenarioConfig({ reward: { lambda_: 2 } }).reward.lambda, 2);
  t.equal(normalizeScenarioConfig({ reward: { lambda: 3 } }).reward.lambda, 3);
  t.notOk('lambda_' in normalizeScenarioConfig({ reward: { lambda_: 2 } }).reward);
  t.throws(() => normalizeScenarioConfig({ reward: { lambda: 1, lambda_: 2 } }), ScenarioConfigError);
});

t.test('bad configs are rejected with the field and the rule', async (t) => {
  const cases: [unknown, string, RegExp][] = [
    [{ environment: { income: 0 } }, 'environment.income', /must be a number in \(0, 1000000000\]/],
    [{ environment: { income: -5 } }, 'environment.income', /\(0, /],
    [{ environment: { income: 1e10 } }, 'environment.income', /1000000000\]/],
    [{ environment: { fixed_expenses: -1 } }, 'environment.fixed_expenses', /\[0, 1000000000\]/],
    [{ environment: { safety_threshold: 2e9 } }, 'environment.safety_threshold', /\[0, 1000000000\]/],
    [{ environment: { initial_cash: Infinity } }, 'environment.initial_cash', /\[0, 1000000000\]/],
    [{ environment: { variable_expense_std: -1 } }, 'environment.variable_expense_std', /\[0, /],
    [{ environment: { inflation: 1.5 } }, 'environment.inflation', /in \[-1, 1\]/],
    [{ environment: { max_months: 0 } }, 'environment.max_months', /integer in \(0, 1200\]/],
    [{ environment: { max_months: 1201 } }, 'environment.max_months', /integer in \(0, 1200\]/],
    [{ environment: { max_months: 12.5 } }, 'environment.max_months', /integer/],
    [{ environment: { risk_tolerance: 2 } }, 'environment.risk_tolerance', /in \[0, 1\]/],
    [{ environment: { initial_cash: -100 } }, 'environment.initial_cash', /\[0, /],
    [{ environment: { investment_return_type: 'crypto' } }, 'environment.investment_return_type', /one of fixed, stochastic, none/],
    [{ environment: { income: '3200' } }, 'environment.income', /number/],
    [{ environment: { income: Number.NaN } }, 'environment.income', /number/],
    [{ environment: { incme: 3200 } }, 'environment.incme', /not a known field/],
    [{ training: { gamma_low: 0 } }, 'training.gamma_low', /in \(0, 1\]/],
    [{ training: { gamma_high: 1.01 } }, 'training.gamma_high', /in \(0, 1\]/],
    [{ training: { high_period: 0 } }, 'training.high_period', /integer in \(0, 1200\]/],
    [{ training: { batch_size: 5000 } }, 'training.batch_size', /integer in \(0, 4096\]/],
    [{ training: { num_episodes: 1_000_001 } }, 'training.num_episodes', /integer in \(0, 1000000\]/],
    [{ training: { auto: 'yes' } }, 'training.auto', /must be true or false/],
    [{ reward: { alpha: 1e7 } }, 'reward.alpha', /\[0, 1000000\]/],
    [{ training: { batch_size: 2.5 } }, 'training.batch_size', /integer/],
    [{ training: { num_episodes: -1 } }, 'training.num_episodes', /integer in \(0, /],
    [{ training: { learning_rate_low: 0 } }, 'training.learning_rate_low', /> 0|in \(0, 1\]/],
    [{ reward: { delta: -1 } }, 'reward.delta', /\[0, /],
    [{ environment: [] }, 'environment', /must be an object/],
    [{ extra: {} }, 'extra', /not a known block/],
    ['nope', '(root)', /must be an object/],
  ];
  for (const [input, field, rule] of cases) {
    try {
      normalizeScenarioConfig(input);
      t.fail(`accepted ${JSON.stringify(input)}`);
    } catch (err) {
      t.ok(err instanceof ScenarioConfigError, 'a ScenarioConfigError');
      const e = err as ScenarioConfigError;
      t.equal(e.field, field);
      t.match(e.rule, rule);
      t.ok(e.message.startsWith(field), `message names the field: ${e.message}`);
    }
  }
});

t.test('every fixture scenario loads, and export then import gives the same config', async (t) => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 3);
  for (const f of files) {
    const parsed = parseScenarioYaml(readFileSync(new URL(f, FIXTURES), 'utf8'));
    const again = parseScenarioYaml(scenarioToYaml(parsed.config, { name: f, description: 'x: "quoted"\nline two' }));
    t.strictSame(again.config, parsed.config, f);
    t.equal(again.name, f);
    t.equal(again.description, 'x: "quoted"\nline two');
  }
  const bologna = parseScenarioYaml(readFileSync(new URL('bologna_coppia.yaml', FIXTURES), 'utf8')).config;
  t.equal(bologna.environment.fixed_expenses, 1800);
  t.equal(bologna.environment.investment_return_type, 'stochastic', 'missing fields get defaults');
  t.equal(bologna.training.learning_rate_low, 0.00001);
});

t.test('YAML with missing blocks, integers for floats and top-level name/description loads', async (t) => {
  const r = parseScenarioYaml('# comment\nname: mine\ndescription: a test\nenvironment:\n  income: 2500 # int\n  inflation: 0\n');
  t.equal(r.name, 'mine');
  t.equal(r.description, 'a test');
  t.equal(r.config.environment.income, 2500);
  t.equal(r.config.training.batch_size, 32);
  t.equal(r.config.reward.mu, 0.5);
  t.strictSame(parseScenarioYaml('').config, normalizeScenarioConfig({}));
});

t.test('broken YAML and bad values in YAML are reported with a field', async (t) => {
  const errorOf = (text: string): ScenarioConfigError => {
    try {
      parseScenarioYaml(text);
    } catch (err) {
      if (err instanceof ScenarioConfigError) return err;
      throw err;
    }
    throw new Error('accepted');
  };
  t.equal(errorOf('environment: [1, 2').field, '(yaml)');
  const bad = errorOf('environment:\n  income: -1\n');
  t.equal(bad.field, 'environment.income');
  t.equal(bad.rule, 'must be a number in (0, 1000000000]');
  t.equal(errorOf('- 1\n- 2\n').field, '(root)');
  t.equal(errorOf('name: 5\n').field, 'name');
  t.equal(errorOf('currency: euro\n').field, 'currency');
  t.equal(errorOf('currency: XQQ\n').rule, 'must be a known ISO 4217 currency code');
});

t.test('currency is a top-level field of the file, written on export and read back', async (t) => {
  const config = normalizeScenarioConfig({});
  const text = scenarioToYaml(config, { name: 'zurich', description: 'in francs', currency: 'CHF' });
  t.match(text, /^currency: CHF$/m);
  const back = parseScenarioYaml(text);
  t.equal(back.currency, 'CHF');
  t.strictSame(back.config, config);
  t.equal(parseScenarioYaml(scenarioToYaml(config)).currency, undefined, 'a file without currency has none (the service applies EUR)');
});
