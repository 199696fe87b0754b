import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { BudgetEnv, OBS, OBS_SIZE, monthlyRate } from '../../src/hrl/env.js';
import { Rng } from '../../src/hrl/rng.js';

// Deterministic months: no expense noise, fixed returns.
function makeEnv(env: Record<string, unknown>, reward: Record<string, unknown> = {}): BudgetEnv {
  const c = normalizeScenarioConfig({
    environment: {
      income: 3000,
      fixed_expenses: 1000,
      variable_expense_mean: 500,
      variable_expense_std: 0,
      inflation: 0,
      safety_threshold: 1000,
      max_months: 3,
      initial_cash: 200,
      investment_return_type: 'fixed',
      investment_return_mean: 0.01,
      ...env,
    },
    reward,
  });
  const e = new BudgetEnv(c.environment, c.reward, new Rng(1));
  e.reset();
  return e;
}

t.test('a month splits income after fixed expenses into invest, save and consume', async (t) => {
  const e = makeEnv({});
  const r = e.step(0.5, 0.25, 0.25);
  // base 2000: invest 1000, save 500, consume budget 500 covers the 500 expense.
  t.equal(e.lastInvested, 1000);
  t.equal(e.lastSaved, 500);
  t.equal(e.lastConsumeBudget, 500);
  t.equal(e.lastOverspend, 0);
  t.equal(e.cash, 700);
  t.equal(e.portfolio, 1000);
  t.equal(e.contributed, 1000);
  // +10·1000/1000 − 0.1·(1000 − 700)/1000, then λ·Δwealth/1000 (200 → 1700) and μ for cash > 0
  t.ok(Math.abs(e.lastLowReward - (10 - 0.03)) < 1e-12, `low-level reward ${e.lastLowReward}`);
  t.ok(Math.abs(r - (10 - 0.03 + 1.5 + 0.5)) < 1e-12, `reward ${r}`);
  t.ok(Math.abs(e.terms.wealth! - 1.5) < 1e-12 && e.terms.solvency === 0.5);
  t.equal(e.month, 1);
  t.notOk(e.done);
});

t.test('returns compound on the holdings at the start of each month and the episode truncates at max_months', async (t) => {
  const e = makeEnv({});
  e.step(0.5, 0.25, 0.25);
  const r2 = e.step(0.5, 0.25, 0.25);
  t.ok(Math.abs(e.portfolio - 2010) < 1e-9, 'month 2: 1000·1.01 + 1000');
  t.ok(Math.abs(e.lastGain - 10) < 1e-12);
  t.equal(e.cash, 1200);
  t.ok(Math.abs(e.lastLowReward - 10) < 1e-12, 'no stability penalty once cash ≥ threshold');
  t.ok(Math.abs(r2 - (10 + 1.51 + 0.5)) < 1e-12, 'λ counts the return too: Δwealth = 500 saved + 1000 invested + 10 gained');
  e.step(0.5, 0.25, 0.25);
  t.ok(Math.abs(e.portfolio - 3030.1) < 1e-9, 'month 3: 2010·1.01 + 1000');
  t.ok(Math.abs(e.wealth - (1700 + 3030.1)) < 1e-9, 'total wealth = cash + portfolio');
  t.ok(e.truncated);
  t.notOk(e.terminated);
  t.throws(() => e.step(1, 0, 0), /after the episode ended/);
});

t.test('annual inflation is applied as its monthly equivalent to fixed and variable expenses', async (t) => {
  const e = makeEnv({ inflation: 0.12, max_months: 24 });
  const m = monthlyRate(0.12);
  t.ok(Math.abs(m - (Math.pow(1.12, 1 / 12) - 1)) < 1e-15);
  t.ok(Math.abs(e.priceLevel(12) - 1.12) < 1e-12, 'twelve months compound to the annual rate');
  e.step(0, 0, 1); // first month at base prices
  t.equal(e.lastFixedExpenses, 1000);
  const obs = new Float64Array(OBS_SIZE);
  e.observe(obs);
  t.ok(Math.abs(obs[OBS.fixedExpenses] - 1000 * 1.12 ** (1 / 12)) < 1e-9, 'the observation shows the coming month’s fixed expense');
  t.equal(obs[OBS.income], 3000, 'income is not inflated');
  t.equal(obs[OBS.monthsRemaining], 23);
  e.step(0, 0, 1);
  const fixed = 1000 * 1.12 ** (1 / 12);
  t.ok(Math.abs(e.lastFixedExpenses - fixed) < 1e-9);
  t.ok(Math.abs(e.lastConsumeBudget - (3000 - fixed)) < 1e-9);
  t.ok(Math.abs(e.lastVariableExpense - 500 * 1.12 ** (1 / 12)) < 1e-9);
  t.equal(e.cash, 200, 'a consume-only month leaves cash unchanged when the budget covers the expense');
});

t.test('an uncovered expense comes out of cash and negative cash terminates the episode', async (t) => {
  const e = makeEnv({ max_months: 12 });
  const r = e.step(1, 0, 0);
  t.equal(e.lastOverspend, 500);
  t.equal(e.cash, -300);
  // +10·2000/1000 − 0.1·1300/1000 − 5·500/1000 − 20·300/1000
  t.ok(Math.abs(e.lastLowReward - (20 - 0.13 - 2.5 - 6)) < 1e-12, `low-level reward ${e.lastLowReward}`);
  // Δwealth = −300 + 2000 − 200 = 1500; no μ: the month ended in debt.
  t.ok(Math.abs(r - (20 - 0.13 - 2.5 - 6 + 1.5)) < 1e-12, `reward ${r}`);
  t.ok(e.terminated);
  t.notOk(e.truncated);
  t.ok(e.done);
});

t.test('fixed expenses above income are a shortfall paid from cash', async (t) => {
  const e = makeEnv({ income: 1000, fixed_expenses: 1100, variable_expense_mean: 0, initial_cash: 5000 });
  e.step(0.6, 0.2, 0.2);
  t.equal(e.lastInvested, 0);
  t.equal(e.lastOverspend, 100);
  t.equal(e.cash, 4900);
});

t.test('allocations are normalized onto the simplex and "none" returns nothing', async (t) => {
  const e = makeEnv({ investment_return_type: 'none' });
  e.step(2, 1, 1); // = [0.5, 0.25, 0.25]
  t.equal(e.lastInvested, 1000);
  e.step(0.5, 0.25, 0.25);
  t.equal(e.portfolio, 2000);
  t.equal(e.lastReturn, 0);
});

t.test('stochastic expenses and returns follow the seed', async (t) => {
  const c = normalizeScenarioConfig({});
  const run = (seed: number): number[] => {
    const e = new BudgetEnv(c.environment, c.reward, new Rng(seed));
    e.reset();
    const out: number[] = [];
    while (!e.done) {
      e.step(0.4, 0.3, 0.3);
      out.push(e.lastVariableExpense, e.lastReturn);
    }
    return out;
  };
  t.strictSame(run(5), run(5));
  t.notSame(run(5), run(6));
  const xs = run(5).filter((_, i) => i % 2 === 0);
  t.ok(xs.every((v) => v >= 0), 'variable expense is never negative');
});
