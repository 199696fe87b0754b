// Stored simulations with chosen per-month series, written straight to storage: the
// degenerate shapes (flat, near-flat, huge, tiny, non-finite) that a real policy only
// produces by chance, so the report routes can be exercised on them over HTTP.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { SimulationResult } from '../../src/contracts/simulation.js';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';

export interface EpisodeSeries {
  cash: number[];
  portfolio?: number[];
  invested?: number[];
  actions?: number[][];
}

const last = (xs: readonly number[]) => xs[xs.length - 1] ?? 0;
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** A simulation result whose episodes have exactly these series (aggregates: means of the final figures). */
export function buildSimulation(series: EpisodeSeries[], header: Partial<Pick<SimulationResult, 'simulation_id' | 'scenario_name' | 'model_name' | 'timestamp'>> = {}): SimulationResult {
  const simulationId = header.simulation_id ?? `sim_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;
  const episodes = series.map((s, i) => {
    const n = s.cash.length;
    const portfolio = s.portfolio ?? s.cash.map(() => 0);
    const invested = s.invested ?? s.cash.map(() => 0);
    return {
      episode_id: i + 1,
      duration: n,
      final_cash: last(s.cash),
      final_invested: last(invested),
      final_portfolio_value: last(portfolio),
      total_wealth: last(s.cash) + last(portfolio),
      investment_gains: last(portfolio) - last(invested),
      episode_reward: 0,
      months: s.cash.map((_, m) => m + 1),
      cash_history: s.cash,
      invested_history: invested,
      portfolio_history: portfolio,
      actions: s.actions ?? s.cash.map(() => [0.2, 0.3, 0.5])
    };
  });
  return {
    simulation_id: simulationId,
    scenario_name: header.scenario_name ?? 'degenerate',
    model_name: header.model_name ?? 'gone-model',
    num_episodes: episodes.length,
    timestamp: header.timestamp ?? new Date().toISOString(),
    seed: 1,
    duration_mean: mean(episodes.map((e) => e.duration)),
    duration_std: 0,
    final_cash_mean: mean(episodes.map((e) => e.final_cash)),
    final_cash_std: 0,
    final_invested_mean: 0,
    final_invested_std: 0,
    final_portfolio_mean: 0,
    final_portfolio_std: 0,
    total_wealth_mean: mean(episodes.map((e) => e.total_wealth)),
    total_wealth_std: 0,
    investment_gains_mean: 0,
    investment_gains_std: 0,
    episode_reward_mean: 0,
    episode_reward_std: 0,
    avg_invest_pct: 20,
    avg_save_pct: 30,
    avg_consume_pct: 50,
    episodes
  };
}

/** Stores a simulation whose episodes have exactly these series; returns its id. */
export async function storeSimulation(app: Pick<FastifyInstance, 'storage'>, series: EpisodeSeries[], maxMonths = Math.max(1, ...series.map((s) => s.cash.length))): Promise<string> {
  const config = normalizeScenarioConfig({ environment: { max_months: maxMonths } });
  const result = buildSimulation(series);
  const simulationId = result.simulation_id;
  await app.storage.simulations.insert({
    simulation_id: simulationId,
    scenario_name: result.scenario_name,
    model_name: result.model_name,
    num_episodes: result.num_episodes,
    seed: 1,
    created_at: result.timestamp,
    total_wealth_mean: result.total_wealth_mean,
    duration_mean: result.duration_mean,
    description: '',
    config,
    result: result as unknown as Record<string, unknown>
  });
  return simulationId;
}

/** The doubles just above `x`, `count` of them, one ulp apart. */
export function ulpsAbove(x: number, count: number): number[] {
  const f = new Float64Array(1);
  const bits = new BigInt64Array(f.buffer);
  f[0] = x;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    bits[0] = bits[0]! + (f[0]! >= 0 ? 1n : -1n);
    out.push(f[0]!);
  }
  return out;
}

/** `episodes` episodes of `months` months with wandering values (a large, ordinary simulation). */
export function largeSeries(episodes: number, months: number): EpisodeSeries[] {
  return Array.from({ length: episodes }, (_, e) => {
    const cash: number[] = [];
    const portfolio: number[] = [];
    const invested: number[] = [];
    for (let m = 0; m < months; m++) {
      cash.push(1000 + 10 * m + ((e * 7919 + m * 104729) % 500));
      portfolio.push(50 * m + ((e * 31 + m * 17) % 300));
      invested.push(40 * m);
    }
    return { cash, portfolio, invested, actions: cash.map((_, m) => [0.2 + (m % 10) / 100, 0.3, 0.5 - (m % 10) / 100]) };
  });
}
