import t from 'tap';
import { ConflictError } from '../../src/storage/index.js';
import type { RunEvent } from '../../src/contracts/events.js';
import { openTestStorage, progressEvent, startedEvent } from './helpers.js';

t.test('lastSeq is 0 for a run without events', async (t) => {
  const { storage } = await openTestStorage(t);
  t.equal(await storage.events.lastSeq('nope'), 0);
  t.same(await storage.events.readEvents('nope', 0, 10), []);
});

t.test('readEvents returns the envelopes exactly as appended, in seq order', async (t) => {
  const { storage } = await openTestStorage(t);
  const events: RunEvent[] = [startedEvent('r1'), progressEvent('r1', 2), progressEvent('r1', 3)];
  const terminal: RunEvent = {
    type: 'training_stopped',
    ts: '2026-11-25T12:00:01.000Z',
    run_id: 'r1',
    seq: 4,
    data: { scenario_name: 'bologna_coppia', episodes_completed: 3, model_name: null }
  };
  await storage.events.appendEvents(events.map((event) => ({ event, scenario_name: 'bologna_coppia' })));
  await storage.events.appendEvents([{ event: terminal, scenario_name: 'bologna_coppia' }]);
  const read = await storage.events.readEvents('r1', 0, 100);
  t.strictSame(read, [...events, terminal]);
  t.equal(JSON.stringify(read), JSON.stringify([...events, terminal]), 'same key order and number text');
  t.equal(await storage.events.lastSeq('r1'), 4);
});

t.test('readEvents returns only seq > afterSeq, at most limit, per run', async (t) => {
  const { storage } = await openTestStorage(t);
  const rows = [];
  for (let seq = 1; seq <= 20; seq++) {
    rows.push({ event: progressEvent('a', seq), scenario_name: 's' });
    rows.push({ event: progressEvent('b', seq), scenario_name: 's' });
  }
  await storage.events.appendEvents(rows);
  const page = await storage.events.readEvents('a', 5, 3);
  t.same(page.map((e) => e.seq), [6, 7, 8]);
  t.ok(page.every((e) => e.run_id === 'a'));
  t.same((await storage.events.readEvents('a', 18, 100)).map((e) => e.seq), [19, 20]);
  t.same(await storage.events.readEvents('a', 20, 100), [], 'nothing after the last seq');
  t.same(await storage.events.readEvents('a', 0, 0), [], 'limit 0 reads nothing');
});

t.test('a duplicate seq is rejected and the whole batch is rolled back', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.events.appendEvents([{ event: progressEvent('r', 1), scenario_name: 's' }]);
  await t.rejects(
    storage.events.appendEvents([{ event: progressEvent('r', 1), scenario_name: 's' }]),
    ConflictError
  );
  await t.rejects(
    storage.events.appendEvents([
      { event: progressEvent('r', 2), scenario_name: 's' },
      { event: progressEvent('r', 2), scenario_name: 's' }
    ]),
    ConflictError
  );
  t.equal(await storage.events.lastSeq('r'), 1, 'the failed batch left nothing behind');
});

t.test('a batch larger than the bound-parameter limit is chunked and stays atomic', async (t) => {
  const { storage } = await openTestStorage(t);
  const n = 12_000;
  const rows = Array.from({ length: n }, (_, i) => ({ event: progressEvent('big', i + 1), scenario_name: 's' }));
  await storage.events.appendEvents(rows);
  t.equal(await storage.events.lastSeq('big'), n);
  const all = await storage.events.readEvents('big', 0, n + 1);
  t.equal(all.length, n);
  t.strictSame(all[n - 1], rows[n - 1].event);

  // A conflict in the last chunk must undo the earlier chunks too.
  const more = Array.from({ length: n }, (_, i) => ({ event: progressEvent('big2', i + 1), scenario_name: 's' }));
  more.push({ event: progressEvent('big2', 1), scenario_name: 's' });
  await t.rejects(storage.events.appendEvents(more), ConflictError);
  t.equal(await storage.events.lastSeq('big2'), 0);
});

t.test('appending an empty batch is a no-op', async (t) => {
  const { storage } = await openTestStorage(t);
  await storage.events.appendEvents([]);
  t.equal(await storage.events.lastSeq('x'), 0);
});
