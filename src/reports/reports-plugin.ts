import path from 'node:path';
import fp from 'fastify-plugin';
import { ReportService } from './report-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    reports: ReportService;
  }
}

/** Report generation; the files live under <dataDir>/reports. */
export const reportsPlugin = fp(
  async (app) => {
    app.decorate('reports', new ReportService({ storage: app.storage, models: app.models, dir: path.join(app.config.dataDir, 'reports') }));
  },
  { name: 'reports', dependencies: ['storage', 'models'] }
);
