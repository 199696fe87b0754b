import fp from 'fastify-plugin';
import { TrainingService } from './training-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    training: TrainingService;
  }
}

/** Training runs: admission, the job runner, history and events. */
export const trainingPlugin = fp(
  async (app) => {
    const training = new TrainingService({
      storage: app.storage,
      bus: app.bus,
      runner: app.jobs.training,
      progressHz: app.config.progressHz,
      maxQueuedRuns: app.config.maxQueuedRuns,
      checkpointMinMs: app.config.checkpointMinMs,
      log: app.log
    });
    app.decorate('training', training);
    // Registered before the WebSocket plugin, so this runs before its preClose closes the
    // sockets with 1001: every run is stopped and its terminal event delivered first.
    app.addHook('preClose', async () => {
      await training.stopAll();
      await app.bus.flush();
    });
    await training.recoverInterrupted();
  },
  { name: 'training', dependencies: ['storage', 'bus', 'jobs'] }
);
