import fp from 'fastify-plugin';
import { SimulationService } from './simulation-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    simulations: SimulationService;
  }
}

/** Simulations run on a training worker while one sits idle with nothing queued, else on their own runner. */
export const simulationPlugin = fp(
  async (app) => {
    const { training, simulation } = app.jobs;
    const pickPool = () => (training.hasIdleWorker && training.queued === 0 && app.training.activeCount < training.size ? training : simulation);
    app.decorate('simulations', new SimulationService({ storage: app.storage, pool: pickPool, log: app.log }));
  },
  { name: 'simulations', dependencies: ['storage', 'jobs', 'training'] }
);
