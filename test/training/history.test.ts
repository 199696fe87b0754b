import t from 'tap';
import { HISTORY_PAGE_MAX } from '../../src/contracts/training.js';
import type { EpisodeMetrics } from '../../src/hrl/index.js';
import { SUMMARY_METRICS } from '../../src/storage/episodes.js';
import { startServer } from '../helpers/app.js';
import { createStoredRun } from '../helpers/runs.js';

const episode = (n: number): EpisodeMetrics => ({
  episode: n, episode_reward: Math.sin(n) * 100, episode_length: 12 + (n % 5), final_cash: n * 1.5, total_invested: 1000 - n,
  portfolio_value: n % 7 === 0 ? Number.NaN : n / 3, cash_stability_index: (n % 10) / 10, goal_adherence: 0.01 * (n % 3),
  sharpe_ratio: 0, policy_stability: 1
});

t.test('a run up to the page size comes whole; a longer one is paged with limit and after_episode', async (t) => {
  const server = await startServer(t);
  await createStoredRun(server.app, 'short');
  await server.app.storage.episodes.append('short', [1, 2, 3].map(episode));
  const whole = (await server.app.inject({ url: '/api/training/runs/short/history' })).json();
  t.same(whole.episodes.map((e: EpisodeMetrics) => e.episode), [1, 2, 3]);
  t.equal(whole.next_after_episode, null);

  const total = 2 * HISTORY_PAGE_MAX + 500;
  await createStoredRun(server.app, 'long', 'scn-long'); // one active run per scenario
  for (let from = 1; from <= total; from += 5000) {
    await server.app.storage.episodes.append('long', Array.from({ length: Math.min(5000, total - from + 1) }, (_, i) => episode(from + i)));
  }
  const seen: number[] = [];
  let after: number | null = 0;
  let pages = 0;
  while (after !== null) {
    const res: { statusCode: number; json(): { episodes: EpisodeMetrics[]; next_after_episode: number | null } } = await server.app.inject({ url: `/api/training/runs/long/history?after_episode=${after}` });
    t.equal(res.statusCode, 200);
    const body: { episodes: EpisodeMetrics[]; next_after_episode: number | null } = res.json();
    t.ok(body.episodes.length <= HISTORY_PAGE_MAX);
    for (const e of body.episodes) seen.push(e.episode);
    after = body.next_after_episode;
    pages++;
  }
  t.equal(pages, 3);
  t.same(seen, Array.from({ length: total }, (_, i) => i + 1), 'every episode once, in order');
  const small = (await server.app.inject({ url: '/api/training/runs/long/history?limit=2&after_episode=5' })).json();
  t.same(small.episodes.map((e: EpisodeMetrics) => e.episode), [6, 7]);
  t.equal(small.next_after_episode, 7);
  const tooBig = await server.app.inject({ url: `/api/training/runs/long/history?limit=${HISTORY_PAGE_MAX + 1}` });
  t.equal(tooBig.statusCode, 400);
  t.match(tooBig.json().message, /limit/);
});

t.test('the per-metric summary is computed by the database and equals the one computed over every row', async (t) => {
  const server = await startServer(t);
  await createStoredRun(server.app, 'sum');
  await server.app.storage.episodes.append('sum', Array.from({ length: 3000 }, (_, i) => episode(i + 1)));
  const summary = await server.app.storage.episodes.summary('sum', 2500);
  const rows = (await server.app.storage.episodes.list('sum')).filter((e) => e.episode <= 2500);
  for (const key of SUMMARY_METRICS) {
    const values = rows.map((r) => (r as Record<string, number>)[key]!).filter((v) => typeof v === 'number' && Number.isFinite(v));
    const expected = {
      count: values.length, first: values[0], last: values.at(-1),
      min: Math.min(...values), max: Math.max(...values)
    };
    t.match(summary[key], expected, key);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    t.ok(Math.abs(summary[key]!.mean - mean) <= 1e-9 * Math.max(1, Math.abs(mean)), `${key} mean`);
  }
  t.equal(summary.portfolio_value!.count, 2500 - Math.floor(2500 / 7), 'non-finite values (stored as null) are left out');
});
