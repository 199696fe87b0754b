import t from 'tap';
import type { EpisodeMetrics } from '../../src/hrl/index.js';
import { ConflictError } from '../../src/storage/index.js';
import { makeRun, openTestStorage } from './helpers.js';

function metrics(episode: number, overrides: Partial<EpisodeMetrics> = {}): EpisodeMetrics {
  return {
    episode,
    episode_reward: episode * 1.1,
    episode_length: 60,
    final_cash: 1000 + episode / 7,
    total_invested: 500.25,
    portfolio_value: 512.125,
    cash_stability_index: 0.95,
    goal_adherence: 0.1,
    sharpe_ratio: 0.5,
    policy_stability: 0.8,
    ...overrides
  };
}

t.test('list returns exactly what was appended, with bit-identical doubles', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  const rows = [
    metrics(1, { episode_reward: 0.1 + 0.2, final_cash: Number.MIN_VALUE, total_invested: Number.MAX_VALUE }),
    metrics(2, { episode_reward: -1e-308, final_cash: 1.7976931348623157e308, portfolio_value: 5e-324 }),
    metrics(3, { episode_reward: 123456789.12345679, goal_adherence: 2 ** -1074, sharpe_ratio: -(2 ** 53) - 2 })
  ];
  await storage.episodes.append('run-1', rows);
  const back = await storage.episodes.list('run-1');
  t.strictSame(back, rows);
  for (let i = 0; i < rows.length; i++) {
    for (const key of Object.keys(rows[i]) as (keyof EpisodeMetrics)[]) {
      t.ok(Object.is(back[i][key], rows[i][key]), `episode ${i + 1} ${key} is bit-identical`);
    }
  }
});

t.test('-0 comes back as 0 because JSON has no negative zero', async (t) => {
  // Documented limitation: JSON.stringify(-0) is "0". Metrics never need the sign of zero.
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  await storage.episodes.append('run-1', [metrics(1, { episode_reward: -0 })]);
  const [row] = await storage.episodes.list('run-1');
  t.ok(Object.is(row.episode_reward, 0));
});

t.test('list is ordered by episode and count counts one run only', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun({ run_id: 'a' }));
  await storage.runs.create(makeRun({ run_id: 'b', scenario_name: 'other' }));
  await storage.episodes.append('a', [metrics(3), metrics(1)]);
  await storage.episodes.append('a', [metrics(2)]);
  await storage.episodes.append('b', [metrics(1)]);
  await storage.episodes.append('a', []);
  t.same((await storage.episodes.list('a')).map((m) => m.episode), [1, 2, 3]);
  t.equal(await storage.episodes.count('a'), 3);
  t.equal(await storage.episodes.count('b'), 1);
  t.equal(await storage.episodes.count('none'), 0);
  t.same(await storage.episodes.list('none'), []);
});

t.test('a duplicate episode rejects the whole batch', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  await storage.episodes.append('run-1', [metrics(1)]);
  await t.rejects(storage.episodes.append('run-1', [metrics(2), metrics(1)]), ConflictError);
  t.equal(await storage.episodes.count('run-1'), 1);
});

t.test('a batch over the bound-parameter limit is chunked in one transaction', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  const rows = Array.from({ length: 15_000 }, (_, i) => metrics(i + 1));
  await storage.episodes.append('run-1', rows);
  t.equal(await storage.episodes.count('run-1'), 15_000);
  t.strictSame((await storage.episodes.list('run-1'))[14_999], rows[14_999]);
});

t.test('episodes of an unknown run are refused (foreign key)', async (t) => {
  const { storage } = await openTestStorage(t);
  await t.rejects(storage.episodes.append('ghost', [metrics(1)]));
  t.equal(await storage.episodes.count('ghost'), 0);
});

t.test('rewardCurve averages episode rewards in equal buckets, at most maxPoints, up to maxEpisode', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.runs.create(makeRun());
  await storage.episodes.append('run-1', Array.from({ length: 10 }, (_, i) => metrics(i + 1, { episode_reward: i + 1 })));
  // 10 episodes in at most 4 points: buckets of 3 → means of 1-3, 4-6, 7-9, 10.
  t.strictSame(await storage.episodes.rewardCurve('run-1', 10, 4), [2, 5, 8, 10]);
  // Fewer episodes than points: one per episode; maxEpisode cuts what a later run appended.
  t.strictSame(await storage.episodes.rewardCurve('run-1', 3, 100), [1, 2, 3]);
  t.strictSame(await storage.episodes.rewardCurve('run-1', 10, 0), []);
  t.strictSame(await storage.episodes.rewardCurve('no-such-run', 10, 4), []);
});
