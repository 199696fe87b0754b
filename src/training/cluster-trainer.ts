import type { FastifyBaseLogger } from 'fastify';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { connectionOptions } from '../jobs/bullmq-runner.js';
import type { Storage } from '../storage/index.js';
import { RUN_QUEUE, type ClusterRuns, type RunJobData } from './cluster-runs.js';
import type { TrainingService } from './training-service.js';

export interface ClusterTrainerOptions {
  url: string;
  cluster: ClusterRuns;
  /** Executes the runs on this process's worker threads. */
  training: TrainingService;
  storage: Storage;
  /** Runs taken at once: the worker threads. */
  concurrency: number;
  log: FastifyBaseLogger;
}

/**
 * A trainer of the scaled deployment: takes runs from the run queue in FIFO order and
 * executes them with a local TrainingService (history, checkpoints, models and events are
 * written from here), holding a lease on each so that the deployment notices within
 * HRL_STALL_MS when this process dies, and stopping a run when any gateway asks.
 */
export class ClusterTrainer {
  readonly #worker: Worker<RunJobData>;
  readonly #subscriber: Redis;
  readonly #training: TrainingService;
  #closing: Promise<void> | null = null;

  constructor(options: ClusterTrainerOptions) {
    const { cluster, training, storage, log } = options;
    this.#training = training;
    const stop = (runId: string) => training.stop(runId).catch(() => {}); // not here, or already ending
    this.#worker = new Worker<RunJobData>(
      RUN_QUEUE,
      async (job) => {
        const { runId, job: train } = job.data;
        const record = await storage.runs.get(runId);
        // Stopped while queued, or ended by stalled-run detection: nothing to run.
        if (!record || (record.status !== 'queued' && record.status !== 'running')) return;
        const lease = cluster.hold(runId, () => {
          log.warn({ run_id: runId }, 'the run was ended elsewhere (this trainer was taken for dead); stopping it');
          void stop(runId);
        });
        try {
          await lease.ready;
          const ended = training.adopt(record, train);
          // A stop sent before this trainer took the run (the message found no one).
          if (await cluster.stopRequested(runId)) void stop(runId);
          await ended;
        } finally {
          await lease.release().catch(() => {});
        }
      },
      // maxStalledCount 0: a half-done run is never silently started again on another trainer.
      { connection: connectionOptions(options.url), prefix: cluster.bullPrefix, concurrency: options.concurrency, maxStalledCount: 0 }
    );
    this.#worker.on('error', (error) => log.warn({ err: error }, 'run queue worker error'));
    this.#subscriber = new Redis(options.url, { maxRetriesPerRequest: null });
    this.#subscriber.on('error', () => {});
    this.#subscriber.on('message', (_channel: string, runId: string) => void stop(runId));
    void this.#subscriber.subscribe(cluster.stopChannel);
  }

  async ready(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /**
   * Graceful: takes no more runs, stops the running ones (models saved, terminal events
   * published, as in the embedded service), then waits for their jobs to settle.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closing = this.#worker.close();
      await this.#training.stopAll();
      await closing;
      this.#subscriber.disconnect();
    })();
    return this.#closing;
  }
}
