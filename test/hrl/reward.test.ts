import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { lowLevelReward, highLevelReward, monthlyReward, type RewardTerms } from '../../src/hrl/env.js';

const only = (k: string, v: number) => normalizeScenarioConfig({ reward: { alpha: 0, beta: 0, gamma: 0, delta: 0, lambda: 0, mu: 0, [k]: v } }).reward;

t.test('alpha rewards the euros invested this month, scaled by 1/1000', async (t) => {
  const terms: RewardTerms = { invest: 0, stability: 0, overspend: 0, debt: 0 };
  t.equal(lowLevelReward(only('alpha', 10), 1000, 1500, 0, 5000, terms), 15);
  t.equal(terms.invest, 15);
});

t.test('beta penalizes cash below the safety threshold, and only below it', async (t) => {
  t.equal(lowLevelReward(only('beta', 0.1), 1000, 0, 0, 400), -0.06);
  t.equal(lowLevelReward(only('beta', 0.1), 1000, 0, 0, 1400), 0);
});

t.test('gamma penalizes overspend', async (t) => {
  t.equal(lowLevelReward(only('gamma', 5), 1000, 0, 200, 5000), -1);
});

t.test('delta penalizes debt (negative cash) only', async (t) => {
  t.equal(lowLevelReward(only('delta', 20), 0, 0, 0, -250), -5);
  t.equal(lowLevelReward(only('delta', 20), 0, 0, 0, 250), 0);
});

t.test('the terms add up with the defaults', async (t) => {
  const r = normalizeScenarioConfig({}).reward;
  const terms: RewardTerms = { invest: 0, stability: 0, overspend: 0, debt: 0 };
  const total = lowLevelReward(r, 1000, 1000, 300, -100, terms);
  t.strictSame(terms, { invest: 10, stability: -0.11, overspend: -1.5, debt: -2 });
  t.ok(Math.abs(total - (10 - 0.11 - 1.5 - 2)) < 1e-12);
});

t.test('lambda scales the change in total wealth like the other terms and mu counts months with cash > 0', async (t) => {
  t.equal(highLevelReward(only('lambda', 1), 0, 2500, 0), 2.5);
  t.equal(highLevelReward(only('mu', 0.5), 0, 2500, 4), 2);
  t.equal(highLevelReward(only('mu', 0), 7, 0, 6), 7, 'the low-level rewards of the period are included');
});

t.test('a month’s reward adds λ·Δwealth/1000 and μ when the month ends with cash > 0', async (t) => {
  const r = normalizeScenarioConfig({ reward: { lambda: 2, mu: 0.5 } }).reward;
  t.equal(monthlyReward(r, 7, 1500, 10), 7 + 3 + 0.5);
  t.equal(monthlyReward(r, 7, -500, 0), 7 - 1, 'no μ at zero cash');
  // Over a period the monthly rewards add up to the strategist's period reward.
  const months = [
    { low: 1, dw: 100, cash: 50 },
    { low: 2, dw: -300, cash: -10 },
  ];
  const sum = months.reduce((s, m) => s + monthlyReward(r, m.low, m.dw, m.cash), 0);
  t.ok(Math.abs(sum - highLevelReward(r, 3, -200, 1)) < 1e-12);
});
