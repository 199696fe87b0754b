import t from 'tap';
import { ConflictError, type ScenarioRecord } from '../../src/storage/index.js';
import { openTestStorage, sampleConfig } from './helpers.js';

function scenario(name: string, updated_at = '2026-11-25T12:00:00.000Z'): ScenarioRecord {
  return { name, description: `about ${name}`, currency: 'EUR', config: sampleConfig, created_at: '2026-11-25T11:00:00.000Z', updated_at };
}

t.test('insert then get returns the same scenario', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('a'));
  t.strictSame(await storage.scenarios.get('a'), scenario('a'));
  t.equal(await storage.scenarios.get('b'), undefined);
});

t.test('the currency is stored; a record written without one reads back in euros', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert({ ...scenario('franc'), currency: 'CHF' });
  t.equal((await storage.scenarios.get('franc'))?.currency, 'CHF');
  const { currency: _none, ...withoutCurrency } = scenario('plain');
  await storage.scenarios.insert(withoutCurrency);
  t.equal((await storage.scenarios.get('plain'))?.currency, 'EUR');
  await storage.scenarios.update('franc', { ...scenario('franc'), currency: 'JPY' });
  t.equal((await storage.scenarios.get('franc'))?.currency, 'JPY');
});

t.test('a taken scenario name is a ConflictError', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('a'));
  await t.rejects(storage.scenarios.insert(scenario('a')), ConflictError);
});

t.test('list is newest first by updated_at, same millisecond by insertion', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('old', '2026-11-25T10:00:00.000Z'));
  await storage.scenarios.insert(scenario('p'));
  await storage.scenarios.insert(scenario('q'));
  t.same((await storage.scenarios.list()).map((s) => s.name), ['q', 'p', 'old']);
  await storage.scenarios.update('old', scenario('old', '2026-11-25T13:00:00.000Z'));
  t.same((await storage.scenarios.list()).map((s) => s.name), ['old', 'q', 'p'], 'an update moves it to the front');
});

t.test('update replaces every field and returns false for an unknown name', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('a'));
  const replaced: ScenarioRecord = { ...scenario('a', '2026-11-25T12:30:00.000Z'), description: 'new', config: { ...sampleConfig } };
  t.equal(await storage.scenarios.update('a', replaced), true);
  t.strictSame(await storage.scenarios.get('a'), replaced);
  t.equal(await storage.scenarios.update('missing', scenario('missing')), false);
  t.equal(await storage.scenarios.get('missing'), undefined, 'update never inserts');
});

t.test('rename keeps exactly one of the two names visible', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('before'));
  // Readers interleaved with the rename must always see exactly one of the two names.
  const observations: Array<[boolean, boolean]> = [];
  const observe = async () => {
    const [a, b] = await Promise.all([storage.scenarios.get('before'), storage.scenarios.get('after')]);
    observations.push([a !== undefined, b !== undefined]);
  };
  const readers = [observe(), observe()];
  const renamed = storage.scenarios.update('before', scenario('after'));
  readers.push(observe(), observe());
  t.equal(await renamed, true);
  await Promise.all(readers);
  await observe();
  for (const [a, b] of observations) t.ok(a !== b, 'exactly one name exists');
  t.equal(await storage.scenarios.get('before'), undefined);
  t.equal((await storage.scenarios.get('after'))?.name, 'after');
  t.equal((await storage.scenarios.list()).length, 1);
});

t.test('renaming onto another scenario is a ConflictError and changes nothing', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('a'));
  await storage.scenarios.insert(scenario('b'));
  await t.rejects(storage.scenarios.update('a', { ...scenario('b'), description: 'clobber' }), ConflictError);
  t.equal((await storage.scenarios.get('a'))?.description, 'about a');
  t.equal((await storage.scenarios.get('b'))?.description, 'about b');
});

t.test('delete reports whether the scenario existed', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.scenarios.insert(scenario('a'));
  t.equal(await storage.scenarios.delete('a'), true);
  t.equal(await storage.scenarios.delete('a'), false);
  t.same(await storage.scenarios.list(), []);
});
