import fp from 'fastify-plugin';
import { SimulationService } from './simulation-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    simulations: SimulationService;
  }
}

/** Simulations borrow the training runner while it has idle capacity, else use their own. */
export const simulationPlugin = fp(
  async (app) => {
    const { training, simulation } = app.jobs;
    const pickRunner = () => (training.hasIdleCapacity ? training : simulation);
    app.decorate(
      'simulations',
      new SimulationService({
        storage: app.storage,
        runner: pickRunner,
        log: app.log,
        keepPerModel: app.config.keepSimulationsPerModel,
        deleteReports: (ids) => app.reports.deleteForSimulations(ids)
      })
    );
  },
  { name: 'simulations', dependencies: ['storage', 'jobs', 'reports'] }
);
