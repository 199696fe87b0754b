import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parseScenarioYaml } from '../../src/hrl/config.js';
import { train } from '../../src/hrl/trainer.js';
import { simulate } from '../../src/hrl/simulate.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

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
