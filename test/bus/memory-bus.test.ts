import t, { type Test } from 'tap';
import path from 'node:path';
import { MemoryEventBus } from '../../src/bus/memory-bus.js';
import { openStorage } from '../../src/storage/index.js';
import { runEventBusContract, type BusFixture } from './event-bus-contract.js';
import { progressData } from '../helpers/runs.js';

const memoryFixture = async (t: Test): Promise<BusFixture> => {
  const filename = path.join(t.testdir(), 'bus.sqlite');
  const storage = await openStorage({ filename });
  const opened = [storage];
  t.teardown(async () => {
    for (const s of opened) await s.close();
  });
  return {
    bus: new MemoryEventBus({ store: storage.events }),
    store: storage.events,
    async reopen() {
      const again = await openStorage({ filename });
      opened.push(again);
      return new MemoryEventBus({ store: again.events });
    }
  };
};

runEventBusContract(t, memoryFixture, {
  supported: false,
  reason: 'the in-memory bus numbers and delivers within one process; the Redis bus runs these cases'
});

t.test('replays older events from the store once they leave the memory window', async (t) => {
  const storage = await openStorage({ filename: path.join(t.testdir(), 'bus.sqlite') });
  t.teardown(() => storage.close());
  const bus = new MemoryEventBus({ store: storage.events, replayWindow: 5 });
  for (let i = 1; i <= 20; i++) await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progressData(i) });
  const read = await bus.readAfter('r', 2);
  t.same(read.events.map((e) => e.seq), Array.from({ length: 18 }, (_, i) => i + 3));
  t.equal(read.complete, true);
});

t.test('forgets the least recently published runs beyond maxRunsInMemory, without losing their numbering', async (t) => {
  const storage = await openStorage({ filename: path.join(t.testdir(), 'bus.sqlite') });
  t.teardown(() => storage.close());
  const bus = new MemoryEventBus({ store: storage.events, maxRunsInMemory: 2 });
  for (const run of ['a', 'b', 'c', 'a']) await bus.publish({ run_id: run, scenario_name: 's', type: 'training_progress', data: progressData(1) });
  t.same((await bus.readAfter('a', 0)).events.map((e) => e.seq), [1, 2]);
  t.same((await bus.readAfter('b', 0)).events.map((e) => e.seq), [1]);
});
