import fp from 'fastify-plugin';
import { SimulationService } from './simulation-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    simulations: SimulationService;
  }
}

/** Simulations borrow this process's training runner while it has idle capacity, else use their own. */
export const simulationPlugin = fp(
  async (app) => {
    const { training, simulation, simulationMayBorrowTraining } = app.jobs;
    const pickRunner = () => (simulationMayBorrowTraining && training?.hasIdleCapacity ? training : simulation);
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
