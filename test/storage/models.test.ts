import t from 'tap';
import { ConflictError, type ModelRecord } from '../../src/storage/index.js';
import { fakeModel, openTestStorage } from './helpers.js';

function model(name: string, created_at = '2026-11-25T12:00:00.000Z'): Omit<ModelRecord, 'size_bytes'> {
  return {
    name,
    scenario_name: 'bologna_coppia',
    run_id: 'run-1',
    created_at,
    episodes: 100,
    final_metrics: { avg_reward: 0.1 + 0.2, stability: null },
    model: fakeModel({ version: 1, weights: [0.5, -1.25e-10], note: 'città' })
  };
}

t.test('insert then get returns the model with its JSON byte size', async (t) => {
  const { storage } = await openTestStorage(t);
  const m = model('m1');
  await storage.models.insert(m);
  const got = await storage.models.get('m1');
  t.strictSame(got, { ...m, size_bytes: Buffer.byteLength(JSON.stringify(m.model), 'utf8') });
  t.ok(got!.size_bytes > JSON.stringify(m.model).length, 'bytes, not characters');
  t.equal(await storage.models.get('nope'), undefined);
});

t.test('a taken model name is a ConflictError and the first model stays', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.models.insert(model('m1'));
  await t.rejects(storage.models.insert({ ...model('m1'), episodes: 1 }), ConflictError);
  t.equal((await storage.models.get('m1'))?.episodes, 100);
});

t.test('list is newest first without the model JSON, same millisecond by insertion', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.models.insert(model('old', '2026-11-25T11:00:00.000Z'));
  await storage.models.insert(model('x'));
  await storage.models.insert(model('y'));
  await storage.models.insert({ ...model('no-metrics'), run_id: null, final_metrics: null, created_at: '2026-11-25T10:00:00.000Z' });
  const list = await storage.models.list();
  t.same(list.map((m) => m.name), ['y', 'x', 'old', 'no-metrics']);
  t.notOk('model' in list[0], 'summaries carry no model');
  t.same(list[3], {
    name: 'no-metrics', scenario_name: 'bologna_coppia', run_id: null, created_at: '2026-11-25T10:00:00.000Z',
    episodes: 100, size_bytes: list[3].size_bytes, final_metrics: null
  });
});

t.test('delete and exists report whether the model was there', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.models.insert(model('m1'));
  t.equal(await storage.models.exists('m1'), true);
  t.equal(await storage.models.delete('m1'), true);
  t.equal(await storage.models.exists('m1'), false);
  t.equal(await storage.models.delete('m1'), false);
  await storage.models.insert(model('m1'));
  t.equal(await storage.models.exists('m1'), true, 'a deleted name can be reused');
});
