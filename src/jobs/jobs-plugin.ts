import fp from 'fastify-plugin';
import { WorkerPool } from '../training/worker-pool.js';
import type { JobRunner } from './job-runner.js';

/** Where CPU-heavy jobs run, off the event loop. */
export interface JobRunners {
  /** Training runs, one per worker, the rest queued in order. */
  training: JobRunner;
  /** A worker of its own (started on first use), so a simulation never queues behind hours of training. */
  simulation: JobRunner;
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobRunners;
  }
}

/** The job runners: today worker-thread pools in this process. */
export const jobsPlugin = fp(
  async (app) => {
    const timeoutMs = app.config.workerTimeoutMs;
    const jobs: JobRunners = {
      training: new WorkerPool({ size: app.config.workers, timeoutMs }),
      simulation: new WorkerPool({ size: 1, timeoutMs })
    };
    app.decorate('jobs', jobs);
    app.addHook('onClose', async () => {
      await Promise.all([jobs.training.close(), jobs.simulation.close()]);
    });
  },
  { name: 'jobs', decorators: { fastify: ['config'] } }
);
