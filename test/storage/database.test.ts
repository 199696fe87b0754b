import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { migrationProvider, migrations, openSqliteDatabase, openStorage } from '../../src/storage/index.js';
import { fakeModel, makeRun, openTestStorage, progressEvent, sampleConfig } from './helpers.js';

t.test('a fresh file gets its parent directory, every table and the pragmas', async (t) => {
  const filename = join(t.testdir(), 'nested/deeper/hrl.sqlite');
  const db = await openSqliteDatabase({ filename });
  t.teardown(() => db.destroy());
  t.ok(existsSync(filename));
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(db);
  const names = tables.rows.map((r) => r.name);
  for (const table of ['runs', 'run_episodes', 'run_events', 'run_checkpoints', 'models', 'scenarios', 'kysely_migration']) {
    t.ok(names.includes(table), `has table ${table}`);
  }
  const pragma = async (name: string) => (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db)).rows[0];
  t.same(await pragma('journal_mode'), { journal_mode: 'wal' });
  t.same(await pragma('synchronous'), { synchronous: 1 }, 'NORMAL');
  t.same(await pragma('foreign_keys'), { foreign_keys: 1 });
  t.same(await pragma('busy_timeout'), { timeout: 0 }, 'locks are waited for on timers, never synchronously');
  const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  t.same(applied.rows.map((r) => r.name), Object.keys(migrations));
});

t.test('reopening an existing file keeps finished runs, their events, episodes and models', async (t) => {
  const filename = join(t.testdir(), 'hrl.sqlite');
  const first = await openStorage({ filename });
  await first.runs.create(makeRun({ status: 'completed', model_name: 'm1', finished_at: '2026-11-25T12:01:00.000Z' }));
  await first.events.appendEvents([1, 2, 3].map((seq) => ({ event: progressEvent('run-1', seq), scenario_name: 'bologna_coppia' })));
  await first.episodes.append('run-1', [
    { episode: 1, episode_reward: 1.5, episode_length: 60, final_cash: 10, total_invested: 5, portfolio_value: 6,
      cash_stability_index: 1, goal_adherence: 0.1, sharpe_ratio: 0.3, policy_stability: 0.9 }
  ]);
  await first.models.insert({
    name: 'm1', scenario_name: 'bologna_coppia', run_id: 'run-1', created_at: '2026-11-25T12:01:00.000Z',
    episodes: 3, final_metrics: { avg_reward: 1.5 }, model: fakeModel({ layers: [1, 2, 3] })
  });
  await first.runs.saveCheckpoint('run-1', 3, fakeModel({ partial: true }), '2026-11-25T12:00:59.000Z');
  await first.scenarios.insert({
    name: 'bologna_coppia', description: 'd', config: sampleConfig,
    created_at: '2026-11-25T11:00:00.000Z', updated_at: '2026-11-25T11:00:00.000Z'
  });
  await first.close();
  await first.close(); // idempotent

  const second = await openStorage({ filename });
  t.teardown(() => second.close());
  t.equal((await second.runs.get('run-1'))?.status, 'completed');
  t.equal(await second.events.lastSeq('run-1'), 3);
  t.same((await second.events.readEvents('run-1', 0, 10)).map((e) => e.seq), [1, 2, 3]);
  t.equal(await second.episodes.count('run-1'), 1);
  t.same((await second.models.get('m1'))?.model, { layers: [1, 2, 3] });
  t.equal((await second.runs.getCheckpoint('run-1'))?.episode, 3);
  t.strictSame((await second.scenarios.get('bologna_coppia'))?.config, sampleConfig);
  await second.close();
  const db = await openSqliteDatabase({ filename });
  t.teardown(() => db.destroy());
  const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  t.equal(applied.rows.length, Object.keys(migrations).length, 'migrations are not applied twice');
});

t.test('a database from before the admission rules keeps its newest active run per scenario and model name; older ones become interrupted', async (t) => {
  const filename = join(t.testdir(), 'old.sqlite');
  // The schema as of migration 0005, so not DatabaseSchema.
  const old = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(filename) }) });
  const { error } = await new Migrator({ db: old, provider: migrationProvider }).migrateTo('0005_health_probe');
  t.error(error);
  const row = (run_id: string, scenario_name: string, status: string, requested_model_name: string | null = null) => ({
    run_id, scenario_name, status, requested_model_name, num_episodes: 10, seed: 1, created_at: '2026-11-25T12:00:00.000Z',
    save_interval: 10, eval_episodes: 5, config: JSON.stringify(sampleConfig)
  });
  await old.insertInto('runs').values([
    row('a1', 'a', 'running'), row('a2', 'a', 'queued'), row('a0', 'a', 'completed'),
    row('b1', 'b', 'queued', 'mine'), row('c1', 'c', 'running', 'mine'), row('d1', 'd', 'queued')
  ]).execute();
  await old.destroy();

  const storage = await openStorage({ filename });
  t.teardown(() => storage.close());
  const status = async (id: string) => (await storage.runs.get(id))?.status;
  t.same(
    await Promise.all(['a0', 'a1', 'a2', 'b1', 'c1', 'd1'].map(status)),
    ['completed', 'interrupted', 'queued', 'interrupted', 'running', 'queued']
  );
  t.match((await storage.runs.get('a1'))?.error, /one active run per scenario/);
});

t.test('close is idempotent, also when called concurrently', async (t) => {
  const { storage } = await openTestStorage(t);
  await Promise.all([storage.close(), storage.close()]);
  await storage.close();
  t.pass('closed without error');
});

t.test('an in-memory database works for throwaway use', async (t) => {
  const storage = await openStorage({ filename: ':memory:' });
  t.teardown(() => storage.close());
  await storage.runs.create(makeRun());
  t.equal((await storage.runs.latest())?.run_id, 'run-1');
});
