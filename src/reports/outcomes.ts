// How the simulated futures ended, over ALL episodes: how many ran out of cash and when, and
// the spread of wealth and cash (P10/P50/P90) month by month. An episode that ran out of cash
// stops being simulated; from then on it counts with the values it ended with (its negative
// cash is neither forgiven nor grown), so the bands never show only the survivors.
import type { Bands, MonthlySummary } from './monthly-series.js';

export interface EpisodeEnd {
  duration: number;
  final_cash: number;
}

export interface Band {
  p10: number;
  p50: number;
  p90: number;
}

export interface Outcomes {
  /** Episodes simulated. */
  episodes: number;
  /** The scenario's horizon (max_months). */
  horizon: number;
  /** Episodes that ran out of cash: they ended before the horizon, or at it with cash below zero. */
  broke: number;
  /** broke / episodes (0 when there are no episodes). */
  brokeShare: number;
  /** Month in which the broke episodes ended: earliest, median, latest (null when none did). */
  brokeMonths: { first: number; median: number; last: number } | null;
  /** Broke episodes by the year they ended in (year 1 = months 1–12), every year up to the horizon. */
  brokeByYear: Array<{ year: number; count: number }>;
  /** Share of all episodes (0–100) still running in month m (index m − 1), up to the horizon. */
  runningPct: number[];
  /** The bands at each year end and at the horizon, over all episodes. */
  bandsAt: Array<{ month: number; wealth: Band; cash: Band }>;
}

const bandAt = (b: Bands, m: number): Band => ({ p10: b.p10[m - 1] ?? NaN, p50: b.p50[m - 1] ?? NaN, p90: b.p90[m - 1] ?? NaN });

/** A run of cash below zero ends an episode (the simulator's rule), so this is "went broke". */
export const wentBroke = (e: EpisodeEnd, horizon: number): boolean => e.duration < horizon || e.final_cash < 0;

/** The failure figures and band table of a simulation; `monthly` must cover the horizon (summariseMonths(…, horizon)). */
export function outcomes(ends: readonly EpisodeEnd[], monthly: MonthlySummary, horizon: number): Outcomes {
  const months = ends.filter((e) => wentBroke(e, horizon)).map((e) => e.duration).sort((a, b) => a - b);
  const years = Math.max(1, Math.ceil(horizon / 12));
  const brokeByYear = Array.from({ length: years }, (_, i) => ({ year: i + 1, count: 0 }));
  for (const m of months) brokeByYear[Math.min(years, Math.max(1, Math.ceil(m / 12))) - 1]!.count++;
  const n = ends.length;
  const runningPct = Array.from({ length: horizon }, (_, i) => (n > 0 ? (100 * (monthly.running[i] ?? 0)) / n : NaN));
  const checkpoints: number[] = [];
  for (let m = 12; m < horizon; m += 12) checkpoints.push(m);
  checkpoints.push(horizon);
  const covered = Math.min(horizon, monthly.months);
  return {
    episodes: n,
    horizon,
    broke: months.length,
    brokeShare: n > 0 ? months.length / n : 0,
    brokeMonths:
      months.length > 0
        ? { first: months[0]!, median: months.length % 2 ? months[(months.length - 1) / 2]! : (months[months.length / 2 - 1]! + months[months.length / 2]!) / 2, last: months[months.length - 1]! }
        : null,
    brokeByYear,
    runningPct,
    bandsAt: checkpoints.filter((m) => m <= covered).map((m) => ({ month: m, wealth: bandAt(monthly.bands.wealth, m), cash: bandAt(monthly.bands.cash, m) }))
  };
}
