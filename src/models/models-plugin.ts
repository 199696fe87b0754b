import fp from 'fastify-plugin';
import { ModelService } from './models.js';

declare module 'fastify' {
  interface FastifyInstance {
    models: ModelService;
  }
}

/** One model service for the routes and the reports, so they share its cache. */
export const modelsPlugin = fp(
  async (app) => {
    app.decorate('models', new ModelService(app.storage));
  },
  { name: 'models', dependencies: ['storage'] }
);
