import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { EventBus } from '../bus/event-bus.js';
import { connectionOptions } from '../jobs/bullmq-runner.js';
import type { RunRecord, Storage } from '../storage/index.js';
import type { TrainJob } from './messages.js';
import type { RunLifecycle } from './training-service.js';

/** What the run queue carries: the stored run's id and the job a trainer executes. */
export interface RunJobData {
  runId: string;
  job: TrainJob;
}

export const RUN_QUEUE = 'runs';

/** How long the record that a run ended stays (beyond any run's life on a trainer that lost its lease). */
const ENDED_TTL_S = 7 * 24 * 3600;
const STOP_TTL_S = 3600;
/** A run stored this long ago with no job in the queue was never queued (its gateway died between the two). */
const QUEUE_GRACE_MS = 60_000;

/** The Redis key of a run's lease (value `<pid>:<random>`), end claim or stop request. */
export function runKey(clusterPrefix: string, runId: string, what: 'lease' | 'ended' | 'stop'): string {
  return `${clusterPrefix}run:${runId}:${what}`;
}

/** Where the cluster's own keys live under the deployment's prefix. */
export const clusterPrefix = (redisPrefix: string) => `${redisPrefix}cluster:`;

export interface ClusterRunsOptions {
  url: string;
  /** Every key of the deployment starts with it (HRL_REDIS_PREFIX). */
  prefix: string;
  storage: Storage;
  bus: EventBus;
  /** HRL_STALL_MS: a run whose trainer has not renewed its lease this long is failed. */
  stallMs: number;
  log: FastifyBaseLogger;
}

/**
 * What gateways and trainers of the scaled deployment agree on through Redis, beside the
 * bus and the queues (admission is the database's): which process ended a run (exactly one
 * terminal event), stop requests, and the leases by which trainers show that their runs
 * are alive (stalled-run detection).
 */
export class ClusterRuns implements RunLifecycle {
  readonly redis: Redis;
  readonly runQueue: Queue<RunJobData>;
  readonly #keys: string;
  readonly #storage: Storage;
  readonly #bus: EventBus;
  readonly #log: FastifyBaseLogger;
  readonly stallMs: number;
  readonly stopChannel: string;
  readonly bullPrefix: string;
  #watchTimer: NodeJS.Timeout | null = null;
  #reaping = false;

  constructor(options: ClusterRunsOptions) {
    this.redis = new Redis(options.url, { maxRetriesPerRequest: 3 });
    this.redis.on('error', () => {}); // the client reconnects by itself; commands report failures
    this.#keys = clusterPrefix(options.prefix);
    this.stopChannel = `${this.#keys}stop`;
    this.bullPrefix = `${options.prefix}q`;
    this.runQueue = new Queue<RunJobData>(RUN_QUEUE, { connection: connectionOptions(options.url), prefix: this.bullPrefix });
    this.runQueue.on('error', () => {});
    this.#storage = options.storage;
    this.#bus = options.bus;
    this.#log = options.log;
    this.stallMs = options.stallMs;
  }

  #runKey = (runId: string, what: 'lease' | 'ended' | 'stop') => runKey(this.#keys, runId, what);

  /** Exactly one process ends a run: the first to claim its end. */
  async claimEnd(record: Pick<RunRecord, 'run_id'>): Promise<boolean> {
    return (await this.redis.set(this.#runKey(record.run_id, 'ended'), '1', 'EX', ENDED_TTL_S, 'NX')) === 'OK';
  }

  async hasEnded(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.#runKey(runId, 'ended'))) === 1;
  }

  /** Asks whichever trainer runs (or is about to take) the run to stop it. */
  async requestStop(runId: string): Promise<void> {
    await this.redis.set(this.#runKey(runId, 'stop'), '1', 'EX', STOP_TTL_S);
    await this.redis.publish(this.stopChannel, runId);
  }

  async stopRequested(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.#runKey(runId, 'stop'))) === 1;
  }

  /**
   * A trainer's lease on a run it executes, renewed every third of HRL_STALL_MS. `lost` is
   * called when the run was ended elsewhere meanwhile (this trainer was taken for dead).
   */
  hold(runId: string, lost: () => void): { ready: Promise<void>; release(): Promise<void> } {
    const key = this.#runKey(runId, 'lease');
    // The holder's pid first: an operator (or a test) can tell which trainer runs it.
    const owner = `${process.pid}:${randomUUID()}`;
    const renew = async () => {
      await this.redis.set(key, owner, 'PX', this.stallMs);
      if (await this.hasEnded(runId)) lost();
    };
    const ready = renew();
    const timer = setInterval(() => {
      renew().catch((error: unknown) => this.#log.warn({ err: error, run_id: runId }, 'could not renew the run\'s lease'));
    }, Math.max(250, Math.floor(this.stallMs / 3)));
    return {
      ready,
      release: async () => {
        clearInterval(timer);
        await this.redis.del(key);
      }
    };
  }

  /**
   * Stalled-run detection, in every process of the deployment: a running run without a
   * live lease (its trainer died or froze for HRL_STALL_MS), or a queued run whose job a
   * trainer took and then left without a lease, ends failed with a terminal training_error.
   */
  watch(): void {
    const every = Math.min(1000, Math.floor(this.stallMs / 4));
    this.#watchTimer = setInterval(() => {
      if (this.#reaping) return;
      this.#reaping = true;
      this.reap()
        .catch((error: unknown) => this.#log.warn({ err: error }, 'stalled-run check failed'))
        .finally(() => (this.#reaping = false));
    }, every);
  }

  /** One pass of stalled-run detection; returns the runs it ended. */
  async reap(): Promise<string[]> {
    const ended: string[] = [];
    for (const run of await this.#storage.runs.findByStatus(['queued', 'running'])) {
      if (!(await this.#stalled(run))) continue;
      const episodes = await this.#storage.episodes.count(run.run_id);
      const done = await this.endRun(run, 'failed', {
        message: 'the trainer stopped responding',
        details: `no trainer renewed the run's lease for ${this.stallMs} ms (HRL_STALL_MS): it was killed, froze or lost Redis; ${episodes} episodes are in the run's history`,
        episodes
      });
      if (done) {
        this.#log.warn({ run_id: run.run_id }, 'run failed: its trainer stopped responding');
        ended.push(run.run_id);
      }
    }
    return ended;
  }

  async #stalled(run: RunRecord): Promise<boolean> {
    if ((await this.redis.exists(this.#runKey(run.run_id, 'lease'))) === 1) return false;
    if (run.status === 'running') return true;
    // Queued: waiting in the queue is not stalling; a job taken and left without a lease is.
    const job = await this.runQueue.getJob(run.run_id);
    // Stored but never queued (its gateway died in between), or gone from the queue unfinished.
    if (!job) return Date.now() - Date.parse(run.created_at) > Math.max(this.stallMs, QUEUE_GRACE_MS);
    const state = await job.getState();
    if (state === 'active') return job.processedOn !== undefined && Date.now() - job.processedOn > this.stallMs;
    return state === 'failed' || state === 'completed';
  }

  /**
   * Ends a run that no trainer will end (removed from the queue, or its trainer died):
   * its final state is stored (which frees its scenario), then its one terminal event published.
   * False when another process ended it first.
   */
  async endRun(run: RunRecord, status: 'stopped' | 'failed', detail: { message?: string; details?: string; episodes: number }): Promise<boolean> {
    if (!(await this.claimEnd(run))) return false;
    const finished_at = new Date().toISOString();
    const error = status === 'failed' ? `${detail.message}: ${detail.details}` : null;
    await this.#storage.runs.update(run.run_id, { status, finished_at, episodes_completed: detail.episodes, error });
    const envelope = { run_id: run.run_id, scenario_name: run.scenario_name };
    if (status === 'stopped') {
      // Only a stop request ends a run as stopped here (a queued run taken off the queue).
      await this.#bus.publish({ ...envelope, type: 'training_stopped', data: { scenario_name: run.scenario_name, episodes_completed: detail.episodes, model_name: null, reason: 'user' } });
    } else {
      await this.#bus.publish({
        ...envelope,
        type: 'training_error',
        data: { message: detail.message!, details: detail.details!, scenario_name: run.scenario_name, episodes_completed: detail.episodes }
      });
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.#watchTimer) clearInterval(this.#watchTimer);
    await this.runQueue.close();
    await this.redis.quit().catch(() => {});
  }
}
