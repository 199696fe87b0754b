import t from 'tap';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { MemoryEventBus } from '../../src/bus/memory-bus.js';
import { openStorage } from '../../src/storage/index.js';
import { progressData } from '../helpers/runs.js';

const progress = (episode: number) => progressData(episode, 100);

t.test('a database locked by another connection delays events but loses none and keeps their order', async (t) => {
  const filename = path.join(t.testdir(), 'locked.sqlite');
  const storage = await openStorage({ filename });
  t.teardown(() => storage.close());
  const bus = new MemoryEventBus({ store: storage.events });
  const delivered: number[] = [];
  bus.subscribe((m) => delivered.push(m.event.seq));
  await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) });

  // Another connection (in another thread, as another process would) holds an exclusive lock for 1.5 s.
  const locker = new Worker(
    `const Database = require('better-sqlite3');
     const { parentPort, workerData } = require('node:worker_threads');
     const db = new Database(workerData);
     db.exec('BEGIN EXCLUSIVE');
     parentPort.postMessage('locked');
     setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, 1500);`,
    { eval: true, workerData: filename }
  );
  const exited = once(locker, 'exit');
  await once(locker, 'message');
  const publishes = [2, 3, 4, 5].map((episode) =>
    bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(episode) })
  );
  await Promise.all(publishes);
  // The lock is waited for on timers, so the locker may be gone before the publishes resolve.
  await exited;
  t.same(delivered, [1, 2, 3, 4, 5]);
  t.same((await storage.events.readEvents('r', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 5]);
});
