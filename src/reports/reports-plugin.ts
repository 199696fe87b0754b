import path from 'node:path';
import fp from 'fastify-plugin';
import { ReportService } from './report-service.js';
import { ReportWorkers } from './report-workers.js';

declare module 'fastify' {
  interface FastifyInstance {
    reports: ReportService;
  }
}

/** Report generation in report worker threads of its own; the files live under <dataDir>/reports. */
export const reportsPlugin = fp(
  async (app) => {
    const { config } = app;
    const workers = new ReportWorkers({ size: config.reportWorkers, timeoutMs: config.workerTimeoutMs });
    app.addHook('onClose', async () => {
      await workers.close();
    });
    app.decorate(
      'reports',
      new ReportService({
        storage: app.storage,
        models: app.models,
        dir: path.join(config.dataDir, 'reports'),
        renderer: workers,
        maxInProgress: config.reportWorkers + config.reportQueue,
        keepPerSimulation: config.keepReportsPerSimulation
      })
    );
  },
  { name: 'reports', dependencies: ['storage', 'models'] }
);
