import fp from 'fastify-plugin';
import { WorkerPool } from '../training/worker-pool.js';
import { BullmqJobExecutor, BullmqJobRunner } from './bullmq-runner.js';
import type { JobRunner } from './job-runner.js';
import { withQueueTimeout } from './queue-timeout.js';

/** Where CPU-heavy jobs run, off the event loop. */
export interface JobRunners {
  /** Training runs on this process's worker threads, one per worker, the rest queued in order; absent on a gateway. */
  training?: JobRunner;
  /**
   * Where this process's simulations go: a worker of its own (started on first use), so a
   * simulation never queues behind hours of training; with Redis, the simulation queue
   * that trainers take from (a request waits at most HRL_SIMULATION_QUEUE_MS for one).
   */
  simulation: JobRunner;
  /** Whether a simulation may borrow an idle training worker (only when both are this process's). */
  simulationMayBorrowTraining: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobRunners;
  }
}

export const SIMULATION_QUEUE = 'simulations';

/**
 * The job runners: worker-thread pools in this process; with HRL_REDIS_URL, gateways queue
 * simulations in Redis (BullMQ) and trainers execute them (runs have their own queue,
 * see training/cluster-runs.ts).
 */
export const jobsPlugin = fp(
  async (app) => {
    const { workerTimeoutMs: timeoutMs, redisUrl, role, redisPrefix } = app.config;
    const closers: Array<() => Promise<void>> = [];
    const trains = role !== 'gateway';
    const training = trains ? new WorkerPool({ size: app.config.workers, timeoutMs }) : undefined;
    let simulation: JobRunner;
    if (redisUrl === '') {
      simulation = new WorkerPool({ size: 1, timeoutMs });
    } else {
      const queue = { url: redisUrl, prefix: `${redisPrefix}q`, queueName: SIMULATION_QUEUE };
      if (trains) {
        const pool = new WorkerPool({ size: 1, timeoutMs });
        const executor = new BullmqJobExecutor({ ...queue, runner: pool, concurrency: 1 });
        await executor.ready();
        // Stops taking simulations before the pool goes.
        closers.push(async () => {
          await executor.close();
          await pool.close();
        });
      }
      simulation = withQueueTimeout(new BullmqJobRunner(queue), app.config.simulationQueueMs);
    }
    const jobs: JobRunners = { training, simulation, simulationMayBorrowTraining: redisUrl === '' };
    app.decorate('jobs', jobs);
    app.addHook('onClose', async () => {
      await Promise.all([training?.close(), simulation.close(), ...closers.map((c) => c())]);
    });
  },
  { name: 'jobs', decorators: { fastify: ['config'] } }
);
