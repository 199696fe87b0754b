import path from 'node:path';
import fp from 'fastify-plugin';
import { openStorage, type Storage } from './database.js';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
  }
}

/** The database behind every repository: today the embedded SQLite file under the data directory. */
export const storagePlugin = fp(
  async (app) => {
    const storage = await openStorage({ filename: path.join(app.config.dataDir, 'hrl-finance.sqlite') });
    app.decorate('storage', storage);
    // Registered first, so closed last: after workers and bus (onClose runs in reverse order).
    app.addHook('onClose', () => storage.close());
  },
  { name: 'storage', decorators: { fastify: ['config'] } }
);
