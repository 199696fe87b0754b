import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Job } from '../training/messages.js';
import {
  JobCancelledError,
  JobFailedError,
  type JobHandle,
  type JobOutcome,
  type JobRunner,
  type JobState,
  type JobUpdate,
  type SubmitOptions
} from './job-runner.js';

export interface BullmqQueueOptions {
  /** redis://… shared by gateways (which submit) and trainers (which execute). */
  url: string;
  /** BullMQ key prefix, so several deployments (or test files) can share one Redis. */
  prefix?: string;
  queueName?: string;
}

const DEFAULTS = { prefix: 'hrl', queueName: 'jobs' };
/** How long a stop request waits for a job that has not started yet. */
const STOP_KEY_TTL_SECONDS = 3600;

/** BullMQ's blocking connections must retry commands forever (maxRetriesPerRequest: null). */
function connect(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** Settings (not a client) for the connections BullMQ creates, so it also closes them. */
export function connectionOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null
  };
}

interface Names {
  prefix: string;
  queueName: string;
  stopChannel: string;
  stopKey(jobId: string): string;
}

function names(options: BullmqQueueOptions): Names {
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const queueName = options.queueName ?? DEFAULTS.queueName;
  const base = `${prefix}:${queueName}:stop`;
  return { prefix, queueName, stopChannel: base, stopKey: (jobId) => `${base}:${jobId}` };
}

/** A failure crosses Redis as the failed job's reason; this keeps JobFailedError's fields. */
function encodeFailure(error: unknown): Error {
  const failed = error instanceof JobFailedError ? error : new JobFailedError(String((error as Error)?.message ?? error), String((error as Error)?.stack ?? error), false);
  return new Error(JSON.stringify({ message: failed.message, details: failed.details, crashed: failed.crashed }));
}

function decodeFailure(reason: string): JobFailedError {
  try {
    const { message, details, crashed } = JSON.parse(reason) as { message: string; details: string; crashed: boolean };
    return new JobFailedError(message, details, crashed);
  } catch {
    // BullMQ's own reasons, e.g. a trainer that died and let the job stall.
    return new JobFailedError(reason, reason, true);
  }
}

/** BullMQ hands values back as JSON text in some events and parsed in others. */
function parsed<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

interface Tracked {
  state: JobState;
  /** Resolves once the job is in the queue (or failed to get there). */
  added: Promise<void>;
  onUpdate?: (update: JobUpdate) => void;
  settle(result: JobOutcome | Error): void;
}

/**
 * The submitting side of the BullMQ JobRunner (gateways): jobs go into a Redis queue that
 * trainers (BullmqJobExecutor) take in FIFO order; updates and outcomes come back through
 * BullMQ's queue events. Aborting a queued job removes it; aborting a running one asks its
 * trainer to stop it between episodes, wherever it runs.
 */
export class BullmqJobRunner implements JobRunner {
  readonly #names: Names;
  readonly #redis: Redis;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #ready: Promise<unknown>;
  readonly #tracked = new Map<string, Tracked>();
  #closing: Promise<void> | null = null;

  constructor(options: BullmqQueueOptions) {
    this.#names = names(options);
    this.#redis = connect(options.url);
    const { prefix, queueName } = this.#names;
    this.#queue = new Queue(queueName, { connection: connectionOptions(options.url), prefix });
    this.#events = new QueueEvents(queueName, { connection: connectionOptions(options.url), prefix });
    this.#events.on('active', ({ jobId }) => this.#running(jobId));
    this.#events.on('progress', ({ jobId, data }) => {
      const tracked = this.#running(jobId);
      tracked?.onUpdate?.(parsed<JobUpdate>(data));
    });
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#tracked.get(jobId)?.settle(parsed<JobOutcome>(returnvalue)));
    this.#events.on('failed', ({ jobId, failedReason }) => this.#tracked.get(jobId)?.settle(decodeFailure(failedReason)));
    // Listening must start before the first job is added, or its first events are missed.
    this.#ready = this.#events.waitUntilReady();
  }

  /** Whether this runner has nothing queued or running (other gateways' jobs are not counted). */
  get hasIdleCapacity(): boolean {
    return this.#tracked.size === 0;
  }

  submit(job: Job, options: SubmitOptions = {}): JobHandle {
    const jobId = randomUUID();
    let state: JobState = 'queued';
    let settle!: (result: JobOutcome | Error) => void;
    const onAbort = () => {
      const tracked = this.#tracked.get(jobId);
      if (tracked) void this.#cancel(jobId, tracked, 'aborted');
    };
    const outcome = new Promise<JobOutcome>((resolve, reject) => {
      settle = (result) => {
        if (state === 'done') return;
        state = 'done';
        this.#tracked.delete(jobId);
        options.signal?.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
    });
    const handle: JobHandle = {
      jobId,
      get state() {
        return state;
      },
      outcome
    };
    if (this.#closing) {
      settle(new JobCancelledError('closed'));
      return handle;
    }
    if (options.signal?.aborted) {
      settle(new JobCancelledError('aborted'));
      return handle;
    }
    const added = this.#ready
      .then(() => this.#queue.add('job', job, { jobId, removeOnComplete: true, removeOnFail: true }))
      .then(
        () => {},
        (error: unknown) => settle(new JobFailedError('the job could not be queued', String(error), false))
      );
    const tracked: Tracked = {
      get state() {
        return state;
      },
      set state(next: JobState) {
        state = next;
      },
      added,
      onUpdate: options.onUpdate,
      settle: (result) => settle(result)
    };
    this.#tracked.set(jobId, tracked);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    return handle;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#tracked].map(([jobId, tracked]) => this.#cancel(jobId, tracked, 'closed')));
      await this.#events.close();
      await this.#queue.close();
      await this.#redis.quit();
    })();
    return this.#closing;
  }

  #running(jobId: string): Tracked | undefined {
    const tracked = this.#tracked.get(jobId);
    if (tracked?.state === 'queued') tracked.state = 'running';
    return tracked;
  }

  /** A queued job is removed and cancelled; a running one is asked to stop (it settles with what it did). */
  async #cancel(jobId: string, tracked: Tracked, reason: 'aborted' | 'closed'): Promise<void> {
    await tracked.added;
    if (tracked.state === 'done') return;
    const removed = tracked.state === 'queued' && (await this.#queue.remove(jobId)) === 1;
    if (removed || reason === 'closed') tracked.settle(new JobCancelledError(reason));
    if (!removed) {
      // Running, or taken by a trainer meanwhile: whichever trainer has it stops it.
      await this.#redis.set(this.#names.stopKey(jobId), '1', 'EX', STOP_KEY_TTL_SECONDS);
      await this.#redis.publish(this.#names.stopChannel, jobId);
    }
  }
}

export interface BullmqExecutorOptions extends BullmqQueueOptions {
  /** Executes the jobs taken from the queue (the trainer's worker-thread pool); not closed here. */
  runner: JobRunner;
  /** Jobs taken at once: the runner's size. */
  concurrency: number;
  /** A trainer silent this long (its lock not renewed) has its job failed as crashed. */
  lockDurationMs?: number;
}

/**
 * The executing side (trainers): takes jobs from the queue in FIFO order and runs them on
 * a local JobRunner, reporting updates and outcomes through BullMQ. A trainer that dies
 * leaves its job stalled; BullMQ's stalled-job check then fails it (maxStalledCount 0: a
 * half-done training run is not silently started again elsewhere).
 */
export class BullmqJobExecutor {
  readonly #names: Names;
  readonly #worker: Worker;
  readonly #subscriber: Redis;
  readonly #redis: Redis;

  constructor(options: BullmqExecutorOptions) {
    this.#names = names(options);
    const { prefix, queueName } = this.#names;
    this.#redis = connect(options.url);
    this.#worker = new Worker(
      queueName,
      async (job, _token, signal) => {
        const stop = new AbortController();
        signal?.addEventListener('abort', () => stop.abort(), { once: true });
        // A stop that came before this trainer took the job.
        if ((await this.#redis.get(this.#names.stopKey(job.id!))) !== null) stop.abort();
        const handle = options.runner.submit(job.data as Job, {
          signal: stop.signal,
          onUpdate: (update) => void job.updateProgress(update as object)
        });
        try {
          return await handle.outcome;
        } catch (error) {
          throw encodeFailure(error);
        }
      },
      {
        connection: connectionOptions(options.url),
        prefix,
        concurrency: options.concurrency,
        maxStalledCount: 0,
        ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {})
      }
    );
    this.#worker.on('error', () => {}); // connection errors: the client reconnects by itself
    this.#subscriber = connect(options.url);
    this.#subscriber.on('message', (_channel: string, jobId: string) => this.#worker.cancelJob(jobId));
    void this.#subscriber.subscribe(this.#names.stopChannel);
  }

  /** Resolves once the trainer listens for jobs. */
  async ready(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** Stops taking jobs and waits for the running ones to finish. */
  async close(): Promise<void> {
    await this.#worker.close();
    this.#subscriber.disconnect();
    await this.#redis.quit();
  }
}
