// PostgresStorage against a real PostgreSQL: the Storage contract on a fresh database per
// case (a copy of one migrated here), then what only a shared server has: several
// processes migrating one database at once, and the migration lock.
import t from 'tap';
import pg from 'pg';
import { MIGRATION_LOCK_KEY, migrations, openPostgresStorage, type Storage } from '../../src/storage/index.js';
import { freshPostgresDatabase, requireServices } from '../helpers/services.js';
import { runStorageContract } from './storage-contract.js';
import { makeRun } from './helpers.js';

const skip = await requireServices(t, 'postgres');

async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

t.test('PostgreSQL storage', { skip }, async (t) => {
  const template = await freshPostgresDatabase(t);
  await (await openPostgresStorage(template)).close();

  t.test('the Storage contract', async (t) => {
    runStorageContract(t, async (t) => {
      const url = await freshPostgresDatabase(t, template);
      const opened: Storage[] = [await openPostgresStorage(url, { poolSize: 4 })];
      t.teardown(async () => {
        for (const storage of opened) await storage.close();
      });
      return {
        storage: opened[0]!,
        async reopen() {
          const again = await openPostgresStorage(url, { poolSize: 4 });
          opened.push(again);
          return again;
        }
      };
    });
  });

  t.test('report bytes live in the database, and the store answers health probes', async (t) => {
    const storage = await openPostgresStorage(await freshPostgresDatabase(t, template));
    t.teardown(() => storage.close());
    t.equal(storage.reports.contentInDatabase, true);
    t.same(await storage.health(), { ok: true });
  });

  t.test('processes starting at once on an empty database apply each migration once, and all open', async (t) => {
    const url = await freshPostgresDatabase(t);
    const opened = await Promise.allSettled(Array.from({ length: 4 }, () => openPostgresStorage(url, { poolSize: 2 })));
    t.teardown(() => Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined))));
    t.same(
      opened.map((o) => (o.status === 'fulfilled' ? 'opened' : String(o.reason))),
      ['opened', 'opened', 'opened', 'opened']
    );
    const applied = await query<{ name: string }>(url, 'SELECT name FROM kysely_migration ORDER BY name');
    t.same(applied.map((r) => r.name), Object.keys(migrations).sort());
    // Every instance works on the one schema: the admission rule holds across them.
    const [a, b] = opened.map((o) => (o as PromiseFulfilledResult<Storage>).value);
    await a!.runs.create(makeRun({ run_id: 'x' }));
    await t.rejects(b!.runs.create(makeRun({ run_id: 'y' })), { name: 'ActiveRunConflictError' });
  });

  t.test('a start waits for the migration lock another process holds, and gives up after its timeout', async (t) => {
    const url = await freshPostgresDatabase(t);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    t.teardown(() => holder.end());
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await t.rejects(openPostgresStorage(url, { migrationLockTimeoutMs: 200 }), /held the migration lock for more than 200 ms/);
    const waiting = openPostgresStorage(url);
    let opened = false;
    void waiting.then(() => (opened = true), () => {});
    // The waiting start is blocked on the lock (visible in pg_locks), not done.
    for (let i = 0; i < 100; i++) {
      const rows = await query<{ n: string }>(url, "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
      if (Number(rows[0]!.n) > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    t.equal(opened, false, 'not opened while the lock is held');
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    const storage = await waiting;
    t.teardown(() => storage.close());
    t.same(await storage.health(), { ok: true });
  });

  t.test('an unreachable server fails the start with the driver error', async (t) => {
    const url = new URL(template);
    url.port = '1';
    await t.rejects(openPostgresStorage(url.toString(), { connectionTimeoutMs: 1000 }), { code: 'ECONNREFUSED' });
  });
});
