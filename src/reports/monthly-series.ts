// Per-month series of a simulation, computed in one pass over its episodes: cost is linear
// in months × episodes (plus one sort of at most `episodes` values per month and band),
// where the old report code recomputed every series inside its month loop. Pure and
// free of I/O, so it runs in the report worker (or a simulation worker) off the event loop.

/** What one simulated episode contributes: its per-month histories (JSON null stands for a non-finite value). */
export interface EpisodeHistories {
  cash_history: ReadonlyArray<number | null>;
  portfolio_history: ReadonlyArray<number | null>;
  invested_history: ReadonlyArray<number | null>;
  /** [invest, save, consume] shares per month. */
  actions: ReadonlyArray<ReadonlyArray<number | null>>;
}

/** Percentile levels kept for the bands (P10/P50/P90). */
export const BAND_LEVELS = [10, 50, 90] as const;
export type BandLevel = (typeof BAND_LEVELS)[number];
export type Bands = Record<`p${BandLevel}`, number[]>;

export interface MonthlySummary {
  /** Length of the longest episode (or the horizon when longer); every series below has this many entries (month m at index m - 1). */
  months: number;
  /** Episodes still running in month m (they lasted at least m months). */
  running: number[];
  /** Episodes that had ended before month m (shorter than m months, at least one month long). */
  ended: number[];
  /** Means over the episodes still running in month m (NaN when none or no finite value). Allocation in %. */
  mean: { cash: number[]; portfolio: number[]; invested: number[]; wealth: number[]; invest: number[]; save: number[]; consume: number[] };
  /**
   * Percentiles over every episode at least one month long. An episode that ended before
   * month m counts with its last month's value (its money does not vanish when it stops),
   * so the bands have no survivor bias; `ended` says how many values were carried forward.
   */
  bands: { wealth: Bands; cash: Bands };
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
/** A share as a percentage, or null when it is missing or not a finite number. */
const percent = (v: number | null | undefined): number | null => (finite(v) && Number.isFinite(100 * v) ? 100 * v : null);
/** Cash + portfolio, or null when either is missing or the sum is not finite. */
const wealthOf = (c: number | null | undefined, p: number | null | undefined): number | null => (finite(c) && finite(p) && Number.isFinite(c + p) ? c + p : null);

/** Linear interpolation between closest ranks of sorted values (numpy's default); NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, level: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = (level / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const f = rank - lo;
  const span = b - a;
  // a + f × (b − a) rises with f (so bands stay ordered); a weighted sum where b − a overflows.
  const v = Number.isFinite(span) ? a + f * span : a * (1 - f) + b * f;
  return Math.min(b, Math.max(a, v));
}

/**
 * Means, running/ended counts and percentile bands per month, in one pass over the episodes.
 * `horizon` (the scenario's max_months) extends the series past the longest episode, so the
 * bands of a simulation where every episode ended early still reach the horizon.
 */
export function summariseMonths(episodes: readonly EpisodeHistories[], horizon = 0): MonthlySummary {
  let months = Number.isInteger(horizon) && horizon > 0 ? horizon : 0;
  for (const e of episodes) months = Math.max(months, e.cash_history.length);
  const zeros = () => new Float64Array(months);
  const sums = { cash: zeros(), portfolio: zeros(), invested: zeros(), wealth: zeros(), invest: zeros(), save: zeros(), consume: zeros() };
  const counts = { cash: zeros(), portfolio: zeros(), invested: zeros(), wealth: zeros(), invest: zeros(), save: zeros(), consume: zeros() };
  const running = new Array<number>(months).fill(0);
  const ended = new Array<number>(months).fill(0);
  // Column-major scratch: values of month m for every episode, sorted once per month.
  const withMonths = episodes.filter((e) => e.cash_history.length > 0);
  const n = withMonths.length;
  const wealthAt = new Float64Array(months * n);
  const cashAt = new Float64Array(months * n);

  // Means are summed as value / count so that huge values cannot overflow; counts first.
  for (const e of withMonths) {
    const len = e.cash_history.length;
    for (let m = 0; m < len; m++) {
      running[m]!++;
      const c = e.cash_history[m];
      const p = e.portfolio_history[m];
      const a = e.actions[m];
      if (finite(c)) counts.cash[m]!++;
      if (finite(p)) counts.portfolio[m]!++;
      if (finite(e.invested_history[m])) counts.invested[m]!++;
      if (wealthOf(c, p) !== null) counts.wealth[m]!++;
      if (percent(a?.[0]) !== null) counts.invest[m]!++;
      if (percent(a?.[1]) !== null) counts.save[m]!++;
      if (percent(a?.[2]) !== null) counts.consume[m]!++;
    }
    for (let m = len; m < months; m++) ended[m]!++;
  }
  withMonths.forEach((e, j) => {
    const len = e.cash_history.length;
    let lastCash = NaN;
    let lastWealth = NaN;
    for (let m = 0; m < months; m++) {
      if (m < len) {
        const c = e.cash_history[m];
        const p = e.portfolio_history[m];
        const v = e.invested_history[m];
        const a = e.actions[m];
        if (finite(c)) sums.cash[m]! += c / counts.cash[m]!;
        if (finite(p)) sums.portfolio[m]! += p / counts.portfolio[m]!;
        if (finite(v)) sums.invested[m]! += v / counts.invested[m]!;
        const w = wealthOf(c, p);
        const [invest, save, consume] = [percent(a?.[0]), percent(a?.[1]), percent(a?.[2])];
        if (w !== null) sums.wealth[m]! += w / counts.wealth[m]!;
        if (invest !== null) sums.invest[m]! += invest / counts.invest[m]!;
        if (save !== null) sums.save[m]! += save / counts.save[m]!;
        if (consume !== null) sums.consume[m]! += consume / counts.consume[m]!;
        lastCash = finite(c) ? c : NaN;
        lastWealth = w ?? NaN;
      }
      cashAt[m * n + j] = lastCash;
      wealthAt[m * n + j] = lastWealth;
    }
  });

  // A mean of finite values is finite; summing value / count can still round past ±MAX_VALUE.
  const meanOf = (k: keyof typeof sums) =>
    Array.from(sums[k], (s, m) => (counts[k][m]! > 0 ? Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, s)) : NaN));
  const bandsOf = (column: Float64Array): Bands => {
    const out = { p10: [] as number[], p50: [] as number[], p90: [] as number[] };
    for (let m = 0; m < months; m++) {
      const values = column.subarray(m * n, (m + 1) * n).filter(Number.isFinite).sort();
      out.p10.push(percentileOfSorted(values, 10));
      out.p50.push(percentileOfSorted(values, 50));
      out.p90.push(percentileOfSorted(values, 90));
    }
    return out;
  };
  return {
    months,
    running,
    ended,
    mean: {
      cash: meanOf('cash'),
      portfolio: meanOf('portfolio'),
      invested: meanOf('invested'),
      wealth: meanOf('wealth'),
      invest: meanOf('invest'),
      save: meanOf('save'),
      consume: meanOf('consume')
    },
    bands: { wealth: bandsOf(wealthAt), cash: bandsOf(cashAt) }
  };
}
