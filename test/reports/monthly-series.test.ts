// Property-based tests (fast-check) of the report's per-month data on degenerate series:
// the one-pass summary matches a direct computation, stays finite or NaN (never ±Infinity)
// for any values, and its bands are ordered; a prepared report on any such simulation
// lays out charts with finite coordinates.
import fc from 'fast-check';
import t from 'tap';
import { layoutChart, MAX_TICKS } from '../../src/reports/charts.js';
import { percentileOfSorted, summariseMonths, type EpisodeHistories } from '../../src/reports/monthly-series.js';
import { prepareReport } from '../../src/reports/report-data.js';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';
import type { SimulationResult } from '../../src/contracts/simulation.js';

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, null, 0, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324)
);
const episode = (v: fc.Arbitrary<number | null>) =>
  fc.integer({ min: 0, max: 14 }).chain((n) =>
    fc.record({
      cash_history: fc.array(v, { minLength: n, maxLength: n }),
      portfolio_history: fc.array(v, { minLength: n, maxLength: n }),
      invested_history: fc.array(v, { minLength: n, maxLength: n }),
      actions: fc.array(fc.tuple(v, v, v), { minLength: n, maxLength: n })
    })
  );

const noInfinity = (xs: readonly number[]) => xs.every((x) => x !== Infinity && x !== -Infinity);

t.test('the one-pass summary equals a direct per-month computation on ordinary values', async (t) => {
  const ordinary = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  fc.assert(
    fc.property(fc.array(episode(ordinary), { maxLength: 12 }), (episodes: EpisodeHistories[]) => {
      const s = summariseMonths(episodes);
      const close = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
      for (let m = 0; m < s.months; m++) {
        const running = episodes.filter((e) => e.cash_history.length > m);
        const mean = (f: (e: EpisodeHistories) => number) => (running.length ? running.reduce((a, e) => a + f(e), 0) / running.length : NaN);
        if (!close(s.mean.cash[m]!, mean((e) => e.cash_history[m]!))) return false;
        if (!close(s.mean.wealth[m]!, mean((e) => e.cash_history[m]! + e.portfolio_history[m]!))) return false;
        if (!close(s.mean.invest[m]!, mean((e) => 100 * e.actions[m]![0]!))) return false;
        const carried = episodes.filter((e) => e.cash_history.length > 0).map((e) => e.cash_history[Math.min(m, e.cash_history.length - 1)]!).sort((a, b) => a - b);
        if (!close(s.bands.cash.p50[m]!, percentileOfSorted(carried, 50))) return false;
        if (s.running[m] !== running.length || s.running[m]! + s.ended[m]! !== episodes.filter((e) => e.cash_history.length > 0).length) return false;
      }
      return s.months === Math.max(0, ...episodes.map((e) => e.cash_history.length));
    }),
    { numRuns: 1000 }
  );
  t.pass('checked by fast-check');
});

t.test('on any values (NaN, null, ±Infinity, extremes, empty episodes) every series is finite or NaN and the bands are ordered', async (t) => {
  fc.assert(
    fc.property(fc.array(episode(value), { maxLength: 10 }), (episodes) => {
      const s = summariseMonths(episodes as EpisodeHistories[]);
      const series = [...Object.values(s.mean), ...Object.values(s.bands.wealth), ...Object.values(s.bands.cash)];
      const ordered = (b: typeof s.bands.cash) => b.p10.every((p, m) => Number.isNaN(p) || (p <= b.p50[m]! && b.p50[m]! <= b.p90[m]!));
      return series.every((xs) => xs.length === s.months && noInfinity(xs)) && ordered(s.bands.cash) && ordered(s.bands.wealth);
    }),
    { numRuns: 2000 }
  );
  t.pass('checked by fast-check');
});

t.test('a prepared report on any such simulation has bounded ticks and finite chart coordinates', async (t) => {
  const config = normalizeScenarioConfig({});
  fc.assert(
    fc.property(fc.array(episode(value), { maxLength: 6 }), fc.array(value, { maxLength: 50 }), (episodes, curve) => {
      const simulation = { num_episodes: episodes.length, episodes: episodes.map((e, i) => ({ ...e, episode_id: i + 1, duration: e.cash_history.length })) } as unknown as SimulationResult;
      const prepared = prepareReport({
        report_id: 'rep_x_0',
        title: 't',
        generated_at: '',
        sections: ['charts', 'strategy'],
        simulation,
        scenario: { name: 's', description: '', config },
        currency: 'EUR',
        training_settings: null,
        baselines: null,
        model: { summary: {} as never, final_metrics: null, training_history: {}, reward_curve: Float64Array.from(curve, (v) => v ?? NaN) }
      });
      return prepared.charts.every((spec) => {
        const g = layoutChart(spec);
        return g.yTicks.length <= MAX_TICKS && [...g.lines, ...g.areas].every((l) => l.points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
      }) && prepared.allocationByYear.every((r) => noInfinity([r.invest, r.save, r.consume]));
    }),
    { numRuns: 500 }
  );
  t.pass('checked by fast-check');
});
