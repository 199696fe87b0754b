import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sql } from 'kysely';
import { migrations, openSqliteDatabase, openStorage } from '../../src/storage/index.js';
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
