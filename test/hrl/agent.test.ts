// The strategist's goal is the executor's prior (model format 3): the plan [invest_share,
// consume_scale] sets the budget the executor's Gaussian offsets start from, so a goal changes what
// the executor does, the flat ablation runs on the neutral plan, and a frozen goal acts differently.
import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { BudgetEnv } from '../../src/hrl/env.js';
import { HrlAgent, NEUTRAL_GOAL, expectedExpenseShare, priorLogits, softmax3, type EpisodeTrace } from '../../src/hrl/agent.js';
import { resolveTrainingSettings } from '../../src/hrl/settings.js';
import { Rng } from '../../src/hrl/rng.js';

const config = normalizeScenarioConfig({ environment: { max_months: 12, initial_cash: 2000 }, training: { high_period: 6 } });
const settings = resolveTrainingSettings(config);

function shares(e: number, s?: number, c?: number): number[] {
  const lg = new Float64Array(3);
  const a = new Float64Array(3);
  priorLogits(e, lg, s, c);
  softmax3(lg, a);
  return Array.from(a);
}

const close = (a: number[], b: number[], eps = 1e-12): boolean => a.every((x, i) => Math.abs(x - b[i]) < eps);

t.test('the plan: consume scale × expected expense, invest share of the rest, the remainder saved', async (t) => {
  t.ok(close(shares(0.4), [0.3, 0.3, 0.4]), 'the neutral goal is the textbook budget [(1 − e)/2, (1 − e)/2, e]');
  t.ok(close(shares(0.4, ...NEUTRAL_GOAL), [0.3, 0.3, 0.4]));
  // e = 0.4, scale 1.25 → consume 0.5; invest 0.8 of the other half.
  t.ok(close(shares(0.4, 0.8, 1.25), [0.4, 0.1, 0.5]), 'hand-computed [0.4, 0.1, 0.5]');
  // Consumption is capped at the whole budget; the other shares keep the floor (still reachable).
  const capped = shares(0.9, 0.5, 2);
  t.ok(Math.abs(capped[0] - capped[1]) < 1e-12 && capped[2] > 0.97, JSON.stringify(capped));
});

function freshAgent(mode: 'hrl' | 'flat' = 'hrl'): HrlAgent {
  const agent = new HrlAgent(config, settings, new Rng(3), undefined, mode);
  agent.executor.policy.params.fill(0); // z = 0: the executor acts exactly on the plan
  agent.strategist.policy.params.fill(0);
  return agent;
}

function firstAction(agent: HrlAgent): number[] {
  const trace: EpisodeTrace = { cash: [], invested: [], portfolio: [], actions: [], rewards: [] };
  agent.runEpisode(new BudgetEnv(config.environment, config.reward, new Rng(9)), false, false, trace);
  return trace.actions[0];
}

t.test("the strategist's goal sets the executor's action", async (t) => {
  const e = expectedExpenseShare(new BudgetEnv(config.environment, config.reward, new Rng(9)));
  const agent = freshAgent();
  const p = agent.strategist.policy.params;
  // Output bias u = [logit 0.8, atanh 0.5] → goal [0.8, 2^0.5].
  p[p.length - 2] = Math.log(0.8 / 0.2);
  p[p.length - 1] = Math.atanh(0.5);
  const a = firstAction(agent);
  t.ok(Math.abs(agent.goal[0] - 0.8) < 1e-12 && Math.abs(agent.goal[1] - Math.SQRT2) < 1e-12, `goal ${Array.from(agent.goal)}`);
  t.ok(close(a, shares(e, 0.8, Math.SQRT2)), `action ${a} is the plan`);
  const neutral = firstAction(freshAgent());
  t.ok(close(neutral, shares(e)), 'a zero strategist output is the neutral plan');
  t.ok(a[0] > neutral[0] + 0.05, 'a higher invest share invests more');

  agent.frozenGoal = Float64Array.from([0.2, 1]);
  const frozen = firstAction(agent);
  t.ok(close(frozen, shares(e, 0.2, 1)), 'a frozen goal replaces the plan');
  t.ok(frozen[0] < neutral[0], 'and changes the action');
});

t.test('the flat ablation acts on the neutral plan whatever the strategist network says', async (t) => {
  const agent = freshAgent('flat');
  const p = agent.strategist.policy.params;
  p[p.length - 2] = 3;
  const e = expectedExpenseShare(new BudgetEnv(config.environment, config.reward, new Rng(9)));
  t.ok(close(firstAction(agent), shares(e)));
  t.strictSame(Array.from(agent.goal), [...NEUTRAL_GOAL]);
});
