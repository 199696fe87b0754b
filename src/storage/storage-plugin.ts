import path from 'node:path';
import fp from 'fastify-plugin';
import { openStorage, type Storage } from './database.js';
import { lockDataDir } from './data-dir-lock.js';
import { openPostgresStorage } from './postgres.js';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
  }
}

/**
 * The database behind every repository: PostgreSQL with HRL_DATABASE_URL, else the embedded
 * SQLite file under the data directory, which this process then locks (single-process mode).
 */
export const storagePlugin = fp(
  async (app) => {
    let storage: Storage;
    let lock: ReturnType<typeof lockDataDir> | null = null;
    if (app.config.databaseUrl !== '') {
      storage = await openPostgresStorage(app.config.databaseUrl, { onError: (error) => app.log.warn({ err: error }, 'PostgreSQL connection error') });
    } else {
      lock = lockDataDir(app.config.dataDir);
      try {
        storage = await openStorage({ filename: path.join(app.config.dataDir, 'hrl-finance.sqlite') });
      } catch (error) {
        lock.release();
        throw error;
      }
    }
    app.decorate('storage', storage);
    // Registered first, so closed last: after workers and bus (onClose runs in reverse order).
    app.addHook('onClose', async () => {
      await storage.close();
      lock?.release();
    });
  },
  { name: 'storage', decorators: { fastify: ['config'] } }
);
