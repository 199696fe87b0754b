import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { AUTO, FIXED, autoGamma, autoRollout, resolveTrainingSettings } from '../../src/hrl/settings.js';

const withMonths = (max_months: number, training: Record<string, unknown> = {}) => normalizeScenarioConfig({ environment: { max_months }, training });

t.test('training.auto defaults to true and must be a boolean', async (t) => {
  t.equal(normalizeScenarioConfig({}).training.auto, true);
  t.throws(() => normalizeScenarioConfig({ training: { auto: 'yes' } }), /training\.auto must be true or false/);
});

t.test('the rollout scales with the episode length within its bounds', async (t) => {
  t.equal(autoRollout(6), AUTO.rolloutMin, 'a 6-month scenario still gets updates every few hundred months');
  t.equal(autoRollout(60), 60 * AUTO.rolloutEpisodes);
  t.equal(autoRollout(100_000), AUTO.rolloutMax);
  for (const months of [6, 18, 36, 60, 120, 240]) {
    const s = resolveTrainingSettings(withMonths(months));
    t.equal(s.executor_rollout, autoRollout(months));
    const updates = (s.num_episodes * months) / s.executor_rollout;
    t.ok(updates >= 100, `${months} months: ${updates.toFixed(0)} executor updates in the default budget`);
    t.ok(s.strategist_rollout >= AUTO.strategistRolloutMin);
  }
});

t.test('the discount looks beyond the whole episode and both levels share it', async (t) => {
  for (const months of [6, 60, 240]) {
    const s = resolveTrainingSettings(withMonths(months));
    t.equal(s.gamma_low, autoGamma(months));
    t.ok(1 / (1 - s.gamma_low) >= months, 'effective horizon ≥ the episode');
    t.ok(Math.abs(s.gamma_high - s.gamma_low ** s.high_period) < 1e-15, 'the strategist discounts a period as its months');
    t.ok(s.value_learning_rate_low > s.learning_rate_low, 'value networks learn faster than their policies');
  }
});

t.test('the default episode count spends the step budget; an explicit count always wins', async (t) => {
  const s = resolveTrainingSettings(withMonths(120, { num_episodes: 77 }));
  t.equal(s.num_episodes, Math.ceil(AUTO.stepBudget / 120), 'the file count is ignored under auto');
  t.equal(s.episodes_explicit, false);
  const e = resolveTrainingSettings(withMonths(120), { episodes: 5 });
  t.equal(e.num_episodes, 5);
  t.equal(e.episodes_explicit, true);
  const f = resolveTrainingSettings(withMonths(120, { auto: false, num_episodes: 77 }), { episodes: 9 });
  t.equal(f.num_episodes, 9);
  t.throws(() => resolveTrainingSettings(withMonths(12), { episodes: -1 }), RangeError);
});

t.test('auto: false uses the file values verbatim', async (t) => {
  const training = { auto: false, num_episodes: 77, gamma_low: 0.9, gamma_high: 0.97, high_period: 4, batch_size: 16, learning_rate_low: 0.001, learning_rate_high: 0.002 };
  const s = resolveTrainingSettings(withMonths(120, training));
  t.match(s, { auto: false, num_episodes: 77, episodes_explicit: false, gamma_low: 0.9, gamma_high: 0.97, high_period: 4, batch_size: 16, learning_rate_low: 0.001, learning_rate_high: 0.002 });
  t.equal(s.value_learning_rate_low, 0.001, 'the value network keeps its policy’s rate, as the file cannot say otherwise');
  t.equal(s.executor_rollout, FIXED.executorRollout);
  t.equal(s.strategist_rollout, FIXED.strategistRollout);
});
