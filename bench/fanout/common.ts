/**
 * Shared pieces of the fan-out benchmark: the IPC messages between the orchestrator
 * (run.ts), the server children (server.ts) and the load generator (loadgen.ts), the
 * workload, and small statistics helpers.
 */
import { readFileSync } from 'node:fs';

export type TargetName = 'hrl' | 'ws' | 'sio';
export const TARGETS: readonly TargetName[] = ['hrl', 'ws', 'sio'];
export const TARGET_LABEL: Record<TargetName, string> = {
  hrl: 'hrl-finance',
  ws: 'bare ws',
  sio: 'socket.io 4'
};

export const RUN_ID = 'bench_run';
export const SCENARIO = 'bench';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * A `training_progress` payload of realistic size. `elapsed_time` carries the publish
 * time (ms since the epoch) so the load generator can compute publish→receive latency.
 */
export function progressData(episode: number, publishedAt: number) {
  return {
    episode,
    total_episodes: 100_000,
    avg_reward: -12.345678901234 + (episode % 97) / 7,
    avg_duration: 118.4,
    avg_cash: 15234.56789,
    avg_invested: 48211.98765,
    stability: 0.8734567,
    goal_adherence: 0.0412345,
    elapsed_time: publishedAt
  };
}

// ---- orchestrator → server ------------------------------------------------------------
export type ServerCommand =
  | { cmd: 'rss'; samples: number; minMs: number }
  | { cmd: 'saturate'; burst: number; maxBacklog: number }
  | { cmd: 'rate'; hz: number }
  | { cmd: 'stop-load' }
  | { cmd: 'stats' }
  | { cmd: 'exit' };

// ---- server → orchestrator ------------------------------------------------------------
export type ServerReply =
  | { kind: 'ready'; port: number; path: string }
  | { kind: 'rss'; rssKB: number[]; heapUsedKB: number[]; settleReadings: number }
  | { kind: 'load-started' }
  | {
      kind: 'load-stopped';
      published: number;
      /** Server CPU (user+system) during the load, µs. */
      cpuUs: number;
      wallMs: number;
      /** Bursts skipped because some client's outbound backlog was over the limit. */
      pausedTicks: number;
      maxBacklog: number;
    }
  | { kind: 'stats'; clients: number; subscribed: number; cpuUs: number; extra?: unknown }
  | { kind: 'error'; message: string };

// ---- orchestrator → load generator ----------------------------------------------------
export type LoadCommand =
  | { cmd: 'connect'; target: TargetName; port: number; path: string; clients: number; concurrency: number }
  | { cmd: 'window-start'; mode: 'count' | 'latency' }
  | { cmd: 'window-stop' }
  | { cmd: 'exit' };

export interface WindowResult {
  kind: 'window';
  mode: 'count' | 'latency';
  /** Run events received by all clients during the window. */
  received: number;
  wallMs: number;
  /** Load generator CPU during the window, µs. */
  cpuUs: number;
  /** Per-client received counts: min and max (fairness). */
  minPerClient: number;
  maxPerClient: number;
  /** Latency mode: percentiles over every (client, event) delivery, ms. */
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
  /** Smallest latency: a negative value would mean the processes' clocks disagree. */
  min?: number;
  /** Latency mode: distinct events seen in the window and deliveries per event (min). */
  events?: number;
  incompleteEvents?: number;
}

export type LoadReply =
  | { kind: 'connected'; clients: number; ms: number; fdLimit: number | null }
  | WindowResult
  | { kind: 'error'; message: string };

// ---- helpers ----------------------------------------------------------------------------
export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  const s = [...finite].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The soft limit on open files of this process (Linux), or null when unknown. */
export function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === undefined) return null;
    return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return null;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Exits when the parent goes away, so a killed orchestrator never leaves a child behind. */
export function dieWithParent(): void {
  process.on('disconnect', () => process.exit(2));
}

export function send<T>(message: T): void {
  process.send?.(message);
}
