import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { BudgetEnv } from '../../src/hrl/env.js';
import { Rng } from '../../src/hrl/rng.js';
import { train } from '../../src/hrl/trainer.js';
import { simulate, evaluateConstantPolicy } from '../../src/hrl/simulate.js';
import { BaselinesSchema, compareWithBaselines, evaluateAllocation, heldOutSeed, pairedDifference, ruleFamily, runBaselines, tQuantile975 } from '../../src/hrl/baselines.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';

function envWith(over: Record<string, unknown>): BudgetEnv {
  const c = normalizeScenarioConfig({ environment: { income: 3000, fixed_expenses: 1000, variable_expense_mean: 500, inflation: 0, safety_threshold: 1000, ...over } });
  const e = new BudgetEnv(c.environment, c.reward, new Rng(1));
  e.reset();
  return e;
}

function act(name: string, env: BudgetEnv, k?: number): number[] {
  const rule = ruleFamily().find((r) => r.name === name && (k === undefined || r.params.k === k));
  if (!rule) throw new Error(`no rule ${name}`);
  const out = new Float64Array(3);
  rule.act(env, out);
  return Array.from(out);
}

t.test('the rule family is exactly the fixed list, emergency_fund_first swept over k', async (t) => {
  t.strictSame(
    ruleFamily().map((r) => [r.name, r.params]),
    [
      ['fifty_thirty_twenty', {}],
      ['invest_above_expenses', {}],
      ['emergency_fund_first', { k: 0.5 }],
      ['emergency_fund_first', { k: 1 }],
      ['emergency_fund_first', { k: 1.5 }],
      ['emergency_fund_first', { k: 2 }],
      ['emergency_fund_first', { k: 3 }],
      ['save_everything', {}],
    ],
  );
});

t.test('each rule allocates as defined, with e = expected expense over the month’s budget', async (t) => {
  // Budget 3000 − 1000 = 2000, expected expense 500: e = 0.25.
  const poor = envWith({ initial_cash: 200 });
  t.strictSame(act('fifty_thirty_twenty', poor), [0.2, 0.3, 0.5]);
  t.strictSame(act('invest_above_expenses', poor), [0.75, 0, 0.25]);
  t.strictSame(act('save_everything', poor), [0, 1, 0]);
  t.strictSame(act('emergency_fund_first', poor, 1), [0, 0.75, 0.25], 'cash 200 < 1 × threshold: build the fund');
  const rich = envWith({ initial_cash: 1500 });
  t.strictSame(act('emergency_fund_first', rich, 1), [0.75, 0, 0.25], 'cash 1500 ≥ 1 × threshold: invest above expenses');
  t.strictSame(act('emergency_fund_first', rich, 2), [0, 0.75, 0.25], 'cash 1500 < 2 × threshold');
  // Prices rise: e uses the expected expense and the budget at the current price level.
  const inflated = envWith({ inflation: 0.12, max_months: 24 });
  for (let m = 0; m < 12; m++) inflated.step(0, 1, 0);
  const e = (500 * 1.12) / (3000 - 1000 * 1.12);
  const got = act('invest_above_expenses', inflated);
  t.ok(Math.abs(got[2] - e) < 1e-9 && Math.abs(got[0] - (1 - e)) < 1e-9, `e ${got[2]} vs ${e}`);
  t.strictSame(act('invest_above_expenses', envWith({ fixed_expenses: 2900 })), [0, 0, 1], 'e is capped at 1');
  t.strictSame(act('invest_above_expenses', envWith({ fixed_expenses: 3500 })), [0, 0, 1], 'no budget: e = 1');
});

t.test('the paired 95% interval matches a hand-computed case', async (t) => {
  // Differences 0, 1, …, 10: mean 5, sample variance 110/10 = 11, standard error √(11/11) = 1, t(0.975, 10) = 2.228139.
  const b = Array.from({ length: 11 }, (_, i) => 100 + 3 * i);
  const a = b.map((x, i) => x + i);
  const d = pairedDifference(a, b);
  t.equal(d.mean, 5);
  t.ok(Math.abs(d.ci95[0] - (5 - 2.228139)) < 1e-3 && Math.abs(d.ci95[1] - (5 + 2.228139)) < 1e-3, `${d.ci95}`);
  t.ok(Math.abs(tQuantile975(199) - 1.971957) < 1e-5, 't(0.975, 199)');
  t.ok(Math.abs(tQuantile975(99) - 1.984217) < 1e-5, 't(0.975, 99)');
  t.throws(() => pairedDifference([1], [2]), RangeError);
  t.throws(() => pairedDifference([1, 2], [2]), RangeError);
});

const config = normalizeScenarioConfig({ environment: { max_months: 12, initial_cash: 1000 } });

t.test('the learned rewards of a comparison are what simulate() gives for the same seed, and baselines use the same draws', async (t) => {
  const { model } = await train(config, { episodes: 30, seed: 3 });
  const cmp = compareWithBaselines(model, config, { episodes: 20, seed: 42, selectionEpisodes: 10 });
  t.strictSame(
    cmp.learned,
    simulate(model, config, { episodes: 20, seed: 42 }).episodes.map((e) => e.episode_reward),
  );
  t.strictSame(cmp.best_constant.rewards, evaluateConstantPolicy(config, cmp.best_constant.allocation, { episodes: 20, seed: 42 }).episode_rewards);
  t.strictSame(cmp.best_constant.rewards, evaluateAllocation(config, cmp.best_constant.allocation, 42, 0, 20));
  t.ok(TypeCompiler.Compile(BaselinesSchema).Check(cmp.summary), 'the summary matches its schema');
  t.equal(cmp.summary.episodes, 20);
  t.equal(cmp.summary.diff_constant.mean, pairedDifference(cmp.learned, cmp.best_constant.rewards).mean);
  t.strictSame(compareWithBaselines(model, config, { episodes: 20, seed: 42, selectionEpisodes: 10 }), cmp, 'deterministic');
});

t.test('the best constant and rule are chosen on selection episodes, not on the evaluation episodes', async (t) => {
  const { model } = await train(config, { episodes: 5, seed: 3 });
  // With one selection episode the choice can differ from the best on the evaluation episodes;
  // whatever is chosen must be the best on the selection episode (episode index `episodes`).
  const cmp = compareWithBaselines(model, config, { episodes: 10, seed: 9, selectionEpisodes: 1 });
  const chosen = evaluateAllocation(config, cmp.best_constant.allocation, 9, 10, 1)[0];
  for (const a of [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0, 0.5]] as [number, number, number][]) {
    t.ok(evaluateAllocation(config, a, 9, 10, 1)[0] <= chosen, `${a} is not better on the selection episode`);
  }
});

t.test('a run’s baselines use held-out episodes of a seed derived from the training seed', async (t) => {
  const { model } = await train(config, { episodes: 5, seed: 3 });
  t.not(heldOutSeed(3), 3);
  let calls = 0;
  const b = runBaselines(model, config, 3, { episodes: 100, onProgress: () => calls++ });
  t.equal(calls, 231 + 8, 'progress after every grid point and every rule');
  t.equal(b.episodes, 100);
  t.strictSame(b, compareWithBaselines(model, config, { episodes: 100, seed: heldOutSeed(3) }).summary);
});
