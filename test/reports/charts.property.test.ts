// Property-based tests (fast-check) of chart geometry: whatever numbers a series holds —
// flat, a few ulps apart, huge, subnormal, NaN, ±Infinity, empty — tick generation ends
// with a small bounded set of finite ticks and every drawn coordinate is finite and
// inside the chart.
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { chartSvg, downsample, formatTick, layoutChart, MAX_TICKS, niceTicks, rollingMean } from '../../src/reports/charts.js';
import { ulpsAbove } from './simulation-fixture.js';

/** Any double, with the awkward ones (NaN, ±Infinity, ±0, subnormals, extremes) drawn often. */
const anyDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1e300, -1e300),
  fc.double({ min: -1e6, max: 1e6, noNaN: true })
);
/** A finite base and a handful of values at most a few ulps above it. */
const nearFlat = fc
  .tuple(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e307, max: 1e307 }), fc.integer({ min: 1, max: 8 }))
  .map(([base, n]) => [base, ...ulpsAbove(base, n)]);

const checkTicks = (t: Test, ticks: number[], what: string) => {
  t.ok(ticks.length >= 2 && ticks.length <= MAX_TICKS, `${what}: ${ticks.length} ticks`);
  t.ok(ticks.every(Number.isFinite), `${what}: finite ticks`);
  t.ok(ticks.every((v, i) => i === 0 || v > ticks[i - 1]!), `${what}: strictly increasing`);
};

t.test('niceTicks ends with 2..MAX_TICKS finite increasing ticks for any pair of doubles and any count', async (t) => {
  fc.assert(
    fc.property(anyDouble, anyDouble, fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.constantFrom(NaN, Infinity)), (a, b, count) => {
      const ticks = niceTicks(a, b, count);
      return ticks.length >= 2 && ticks.length <= MAX_TICKS && ticks.every(Number.isFinite) && ticks.every((v, i) => i === 0 || v > ticks[i - 1]!);
    }),
    { numRuns: 5000 }
  );
  checkTicks(t, niceTicks(NaN, NaN), 'NaN range');
  checkTicks(t, niceTicks(-Infinity, Infinity), 'infinite range');
  checkTicks(t, niceTicks(1000, 1000 + 2.3e-13), 'the reported near-flat range');
});

t.test('niceTicks covers any finite range of moderate size, near-flat ones included', async (t) => {
  const covers = (lo: number, hi: number) => {
    const ticks = niceTicks(lo, hi);
    // Ticks are rounded to 12 significant digits: a hair's width of slack.
    const slack = (ticks[1]! - ticks[0]!) * 1e-9;
    return ticks[0]! <= Math.min(lo, hi) + slack && ticks[ticks.length - 1]! >= Math.max(lo, hi) - slack;
  };
  fc.assert(fc.property(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.double({ min: -1e300, max: 1e300, noNaN: true }), covers), { numRuns: 5000 });
  fc.assert(
    fc.property(nearFlat.filter((xs) => Math.abs(xs[0]!) <= 1e300), (xs) => covers(Math.min(...xs), Math.max(...xs))),
    { numRuns: 2000 }
  );
  t.pass('checked by fast-check');
});

t.test('tick labels are finite text and neighbouring ticks are told apart', async (t) => {
  fc.assert(
    fc.property(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.double({ min: -1e300, max: 1e300, noNaN: true }), (a, b) => {
      const ticks = niceTicks(a, b);
      const step = ticks[1]! - ticks[0]!;
      const labels = ticks.map((v) => formatTick(v, step));
      return labels.every((l) => !/NaN|Infinity/.test(l)) && new Set(labels).size === labels.length;
    }),
    { numRuns: 3000 }
  );
  t.pass('checked by fast-check');
});

const series = fc.array(fc.oneof(anyDouble, nearFlat.map((xs) => xs[0]!)), { maxLength: 60 });

t.test('layoutChart puts every point and tick inside the plot with finite coordinates, and the SVG shows no NaN', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(series, nearFlat), { minLength: 0, maxLength: 4 }),
      fc.option(fc.tuple(anyDouble, anyDouble), { nil: undefined }),
      (seriesValues, yRange) => {
        const g = layoutChart({
          title: 't',
          xLabel: 'x',
          yLabel: 'y',
          series: seriesValues.map((values, i) => ({ name: `s${i}`, color: '#000', values })),
          ...(yRange && { yRange })
        });
        const { left, right, top, bottom } = g.plot;
        const inside = (x: number, y: number) => x >= left - 0.1 && x <= right + 0.1 && y >= top - 0.1 && y <= bottom + 0.1;
        const pointsOk = g.lines.every((l) => l.points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && inside(x, y)));
        const ticksOk = g.yTicks.length <= MAX_TICKS && g.xTicks.length <= MAX_TICKS && [...g.xTicks, ...g.yTicks].every((tk) => Number.isFinite(tk.at));
        return pointsOk && ticksOk && !/NaN|Infinity/.test(chartSvg(g));
      }
    ),
    { numRuns: 2000 }
  );
  t.pass('checked by fast-check');
});

t.test('downsample and rollingMean stay within the finite values they summarise', async (t) => {
  const bounded = fc.array(fc.oneof(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity)), { maxLength: 300 });
  fc.assert(
    fc.property(bounded, fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 60 }), (values, max, window) => {
      const finite = values.filter(Number.isFinite);
      const lo = Math.min(...finite);
      const hi = Math.max(...finite);
      const within = (v: number) => Number.isNaN(v) || (v >= lo - Math.abs(lo) * 1e-12 && v <= hi + Math.abs(hi) * 1e-12);
      const d = downsample(values, max);
      const r = rollingMean(values, window);
      return d.y.length === Math.min(values.length, max) && d.y.every((v) => within(v) && v !== Infinity && v !== -Infinity) && r.length === values.length && r.every((v) => within(v) && v !== Infinity && v !== -Infinity);
    }),
    { numRuns: 2000 }
  );
  t.pass('checked by fast-check');
});
