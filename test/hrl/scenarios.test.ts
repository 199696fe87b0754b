import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parseScenarioYaml } from '../../src/hrl/config.js';
import { train } from '../../src/hrl/trainer.js';
import { simulate } from '../../src/hrl/simulate.js';

const FIXTURES = new URL('../../examples/scenarios/', import.meta.url);

for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'))) {
  t.test(`${file} loads and trains 20 episodes without NaN`, async (t) => {
    const { config } = parseScenarioYaml(readFileSync(new URL(file, FIXTURES), 'utf8'));
    const r = await train(config, { episodes: 20, seed: 42 });
    t.equal(r.history.length, 20);
    for (const m of r.history) for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) t.fail(`${k} = ${v}`);
    const weights = [r.model.executor.policy, r.model.executor.value, r.model.strategist.policy, r.model.strategist.value].flat();
    t.ok(weights.every(Number.isFinite), 'all weights finite');
    const sim = simulate(r.model, config, { episodes: 3, seed: 1 });
    t.ok(Object.values(sim.aggregates).every(Number.isFinite));
  });
}

t.test('edge-of-range configs train without numerical failure', async (t) => {
  const { normalizeScenarioConfig } = await import('../../src/hrl/config.js');
  const cases = [
    { environment: { inflation: -1 } },
    { environment: { inflation: 1, max_months: 120 } },
    { environment: { income: 0.01 } },
    { environment: { max_months: 1 } },
    { environment: { variable_expense_std: 0, investment_return_type: 'none' } },
    { environment: { income: 1e9, fixed_expenses: 0, initial_cash: 1e9 } },
    { training: { batch_size: 4096, high_period: 1 } }, // the largest batch the contract accepts
    { reward: { alpha: 0, beta: 0, gamma: 0, delta: 0, lambda: 0, mu: 0 } },
    { environment: { investment_return_mean: -1, investment_return_std: 1 } },
  ];
  for (const c of cases) {
    const r = await train(normalizeScenarioConfig(c), { episodes: 35, seed: 1 }); // 35 × 60 months ≥ one executor rollout
    t.equal(r.episodesCompleted, 35, JSON.stringify(c));
  }
});
