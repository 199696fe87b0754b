import path from 'node:path';
import fp from 'fastify-plugin';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createStorage, openStorage, type Storage } from './database.js';
import { lockDataDir } from './data-dir-lock.js';
import { migrateToLatest } from './migrations.js';
import type { DatabaseSchema } from './schema.js';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
  }
}

// Interim PostgreSQL opener until storage/postgres.ts lands (openPostgresStorage).
async function openPostgres(url: string): Promise<Storage> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createStorage(db);
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
      storage = await openPostgres(app.config.databaseUrl);
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
