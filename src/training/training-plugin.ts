import fp from 'fastify-plugin';
import { ClusterRuns } from './cluster-runs.js';
import { ClusterTrainer } from './cluster-trainer.js';
import { ClusterTraining } from './cluster-training.js';
import { TrainingService, type Training } from './training-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    training: Training;
  }
}

/**
 * Training runs: admission, the job runner, history and events. With HRL_REDIS_URL a
 * gateway admits runs and queues them, a trainer executes them, `all` does both.
 */
export const trainingPlugin = fp(
  async (app) => {
    const { config, storage, bus, jobs } = app;
    const local = (lifecycle?: ClusterRuns) =>
      new TrainingService({
        storage,
        bus,
        runner: jobs.training!,
        progressHz: config.progressHz,
        maxQueuedRuns: config.maxQueuedRuns,
        checkpointMinMs: config.checkpointMinMs,
        log: app.log,
        ...(lifecycle && { lifecycle })
      });

    if (config.redisUrl === '') {
      const training = local();
      app.decorate('training', training);
      // Registered before the WebSocket plugin, so this runs before its preClose closes the
      // sockets with 1001: every run is stopped and its terminal event delivered first.
      app.addHook('preClose', async () => {
        await training.stopAll();
        await bus.flush();
      });
      await training.recoverInterrupted();
      return;
    }

    // Scaled: no process marks runs interrupted at start; stalled-run detection (in every
    // process) ends the runs of a trainer that died.
    const cluster = new ClusterRuns({ url: config.redisUrl, prefix: config.redisPrefix, storage, bus, stallMs: config.stallMs, log: app.log });
    app.addHook('onClose', () => cluster.close());
    let trainer: ClusterTrainer | null = null;
    let executing: TrainingService | null = null;
    if (config.role !== 'gateway') {
      executing = local(cluster);
      trainer = new ClusterTrainer({ url: config.redisUrl, cluster, training: executing, storage, concurrency: config.workers, log: app.log });
      await trainer.ready();
    }
    const front: Training =
      config.role === 'trainer'
        ? executing!
        : new ClusterTraining({ storage, cluster, progressHz: config.progressHz, checkpointMinMs: config.checkpointMinMs, maxQueuedRuns: config.maxQueuedRuns });
    app.decorate<Training>('training', front);
    app.addHook('preClose', async () => {
      await trainer?.close();
      await bus.flush();
    });
    cluster.watch();
  },
  { name: 'training', dependencies: ['storage', 'bus', 'jobs'] }
);
