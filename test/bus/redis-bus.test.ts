// The Redis bus against a real Redis, with its durable history in a real PostgreSQL (the
// scaled deployment's pairing). Two bus instances with their own connections stand for two
// processes: Redis and PostgreSQL cannot tell the difference.
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { RedisEventBus, type RedisBusOptions } from '../../src/bus/redis-bus.js';
import type { BusMessage, EventStore } from '../../src/bus/event-bus.js';
import { openPostgresStorage, type Storage } from '../../src/storage/index.js';
import { runEventBusContract } from './event-bus-contract.js';
import { progressData } from '../helpers/runs.js';
import { freshPostgresDatabase, freshRedisPrefix, privateRedisUnavailable, requireServices, startPrivateRedis } from '../helpers/services.js';

const skip = await requireServices(t, 'redis', 'postgres');
const progress = (episode: number) => progressData(episode, 1000);

/** A PostgreSQL storage on its own pool (one per "process"), closed with `t`. */
async function openStorage(t: Test, url: string): Promise<Storage> {
  const storage = await openPostgresStorage(url, { poolSize: 4 });
  t.teardown(() => storage.close());
  return storage;
}

interface Deployment {
  /** A bus instance of its own (own Redis connections, own database pool), closed with `t`. */
  instance(options?: Partial<RedisBusOptions>): Promise<{ bus: RedisEventBus; store: EventStore; storage: Storage }>;
  prefix: string;
  redisUrl: string;
}

/**
 * One shared Redis key space (on the shared test Redis, or on `privateRedisUrl`) and one
 * PostgreSQL database (a copy of the migrated `template`) for the instances of a test.
 */
async function newDeployment(t: Test, template: string, privateRedisUrl?: string): Promise<Deployment> {
  const space = freshRedisPrefix(t);
  const redisUrl = privateRedisUrl ?? space.url;
  const prefix = space.prefix;
  const databaseUrl = await freshPostgresDatabase(t, template);
  return {
    prefix,
    redisUrl,
    async instance(options = {}) {
      const storage = await openStorage(t, databaseUrl);
      const bus = new RedisEventBus({ store: storage.events, url: redisUrl, keyPrefix: prefix, ...options });
      t.teardown(() => bus.close());
      await bus.ready();
      return { bus, store: storage.events, storage };
    }
  };
}

t.test('Redis event bus', { skip }, async (t) => {
  const template = await freshPostgresDatabase(t);
  await (await openStorage(t, template)).close();
  const deployment = (t: Test, privateRedisUrl?: string) => newDeployment(t, template, privateRedisUrl);

  t.test('the EventBus contract', async (t) => {
    runEventBusContract(
      t,
      async (t) => {
        const d = await deployment(t);
        const { bus, store } = await d.instance();
        const another = async () => (await d.instance()).bus;
        return { bus, store, reopen: another, peer: another };
      },
      { supported: true }
    );
  });

  t.test('two instances numbering one run concurrently give every event one seq, delivered in the same order on both', async (t) => {
    const d = await deployment(t);
    const a = await d.instance();
    const b = await d.instance();
    const seen: Record<'a' | 'b', BusMessage[]> = { a: [], b: [] };
    a.bus.subscribe((m) => seen.a.push(m));
    b.bus.subscribe((m) => seen.b.push(m));
    const perInstance = 60;
    const published = await Promise.all(
      Array.from({ length: perInstance }, (_, i) => [
        a.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i + 1) }),
        b.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1000 - i) })
      ]).flat()
    );
    await Promise.all([a.bus.flush(), b.bus.flush()]);
    const all = Array.from({ length: 2 * perInstance }, (_, i) => i + 1);
    t.same(published.map((m) => m.event.seq).sort((x, y) => x - y), all, 'each publish got its own seq');
    t.same(seen.a.map((m) => m.event.seq), all, 'instance a delivers 1..N once each, in order');
    t.same(seen.b.map((m) => m.event.seq), all, 'instance b delivers 1..N once each, in order');
    t.same(
      seen.a.map((m) => m.event),
      seen.b.map((m) => m.event),
      'both deliver the same envelope for each seq'
    );
    t.same((await a.store.readEvents('r', 0, 1000)).map((e) => e.seq), all, 'the store holds each seq once');
    t.equal(await b.bus.lastSeq('r'), 2 * perInstance);
  });

  t.test('instances that fall behind the delivery stream still deliver every run once, in order', async (t) => {
    const d = await deployment(t);
    // A delivery stream far shorter than one batch: readers always find entries trimmed.
    const instances = [await d.instance({ deliveryStreamLength: 20 }), await d.instance({ deliveryStreamLength: 20 }), await d.instance({ deliveryStreamLength: 20 })];
    const runs = ['x', 'y', 'z'];
    const perInstance = 40;
    const seen = instances.map(({ bus }) => {
      const byRun = new Map<string, number[]>(runs.map((r) => [r, []]));
      bus.subscribe((m) => byRun.get(m.event.run_id)!.push(m.event.seq));
      return byRun;
    });
    await Promise.all(
      instances.flatMap(({ bus }) =>
        Array.from({ length: perInstance }, (_, i) =>
          runs.map((run_id) => bus.publish({ run_id, scenario_name: 's', type: 'training_progress', data: progress(i + 1) }))
        ).flat()
      )
    );
    await Promise.all(instances.map(({ bus }) => bus.flush()));
    const all = Array.from({ length: instances.length * perInstance }, (_, i) => i + 1);
    for (const [i, byRun] of seen.entries()) {
      for (const run of runs) t.same(byRun.get(run), all, `instance ${i} delivers run ${run} as 1..N`);
    }
  });

  t.test('an instance delivers runs published through another, each in seq order', async (t) => {
    const d = await deployment(t);
    const gateway = await d.instance();
    const trainer = await d.instance();
    const got: Array<[string, number]> = [];
    gateway.bus.subscribe((m) => got.push([m.event.run_id, m.event.seq]));
    for (let i = 1; i <= 4; i++) {
      await trainer.bus.publish({ run_id: 'x', scenario_name: 's', type: 'training_progress', data: progress(i) });
      await trainer.bus.publish({ run_id: 'y', scenario_name: 's2', type: 'training_progress', data: progress(i) });
    }
    await gateway.bus.flush();
    t.same(got.filter(([run]) => run === 'x').map(([, seq]) => seq), [1, 2, 3, 4]);
    t.same(got.filter(([run]) => run === 'y').map(([, seq]) => seq), [1, 2, 3, 4]);
    const resumed = await gateway.bus.readAfter('y', 2);
    t.same(resumed.events.map((e) => e.seq), [3, 4], 'a resume on the other instance reads the run from Redis');
    t.equal(resumed.complete, true);
  });

  t.test('events a dead publisher stored but never streamed are streamed, in order, by the next publish', async (t) => {
    const d = await deployment(t);
    const first = await d.instance();
    const reader = await d.instance();
    const got: number[] = [];
    reader.bus.subscribe((m) => got.push(m.event.seq));
    for (let i = 1; i <= 2; i++) await first.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    // What a publisher killed between storing and streaming leaves behind: seq 3 in the store only.
    const orphan = (await first.bus.readAfter('r', 0)).events[0];
    await first.store.appendEvents([{ event: { ...orphan, seq: 3 }, scenario_name: 's' }]);

    const next = await d.instance();
    const published = await next.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(4) });
    await reader.bus.flush();
    t.equal(published.event.seq, 4, 'numbered after what the store holds');
    t.same(got, [1, 2, 3, 4], 'the orphan is delivered before the new event');
    t.same((await next.bus.readAfter('r', 0)).events.map((e) => e.seq), [1, 2, 3, 4]);
  });

  t.test('a publisher whose run lost its Redis keys streams what a dead publisher left stored before its own event', async (t) => {
    const d = await deployment(t);
    const publisher = await d.instance();
    const reader = await d.instance();
    const got: number[] = [];
    reader.bus.subscribe((m) => got.push(m.event.seq));
    for (let i = 1; i <= 3; i++) await publisher.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    await reader.bus.flush();
    // A dead publisher's orphan (seq 4), and the run's Redis keys expired since: the stream restarts at 5.
    const template = (await publisher.bus.readAfter('r', 0)).events[0];
    await publisher.store.appendEvents([{ event: { ...template, seq: 4 }, scenario_name: 's' }]);
    await deleteRunKeys(d, 'r');

    const published = await publisher.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(5) });
    await reader.bus.flush();
    t.equal(published.event.seq, 5, 'the publisher renumbers from the store after its seq was taken');
    t.same(got, [1, 2, 3, 4, 5], 'the reader delivers the orphan before the next one');
  });

  t.test('readers behind the delivery stream refill runs they know from the store when the run histories are shorter than the gap', async (t) => {
    const d = await deployment(t);
    const options = { deliveryStreamLength: 10, replayWindow: 3 };
    const instances = [await d.instance(options), await d.instance(options)];
    const runs = ['x', 'y'];
    const seen = instances.map(({ bus }) => {
      const byRun = new Map<string, number[]>(runs.map((r) => [r, []]));
      bus.subscribe((m) => byRun.get(m.event.run_id)!.push(m.event.seq));
      return byRun;
    });
    for (const run_id of runs) await instances[0].bus.publish({ run_id, scenario_name: 's', type: 'training_progress', data: progress(1) });
    await Promise.all(instances.map(({ bus }) => bus.flush())); // both readers know both runs
    await Promise.all(
      instances.flatMap(({ bus }) =>
        Array.from({ length: 50 }, (_, i) => runs.map((run_id) => bus.publish({ run_id, scenario_name: 's', type: 'training_progress', data: progress(i + 2) }))).flat()
      )
    );
    await Promise.all(instances.map(({ bus }) => bus.flush()));
    const all = Array.from({ length: 101 }, (_, i) => i + 1);
    for (const [i, byRun] of seen.entries()) {
      for (const run of runs) t.same(byRun.get(run), all, `instance ${i} delivers run ${run} as 1..N`);
    }
  });

  t.test('a publish that cannot reach Redis is rejected but stays stored, and every instance gets it once Redis is back', { skip: privateRedisUnavailable() ?? false }, async (t) => {
    const redis = await startPrivateRedis(t);
    const d = await deployment(t, redis.url);
    // Commands fail as soon as the connection is down, instead of waiting through reconnects.
    const options = { redisOptions: { maxRetriesPerRequest: 0 } };
    const publisher = await d.instance(options);
    const reader = await d.instance(options);
    const got: number[] = [];
    reader.bus.subscribe((m) => got.push(m.event.seq));
    await publisher.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) });
    await reader.bus.flush();

    await redis.kill();
    await t.rejects(publisher.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(2) }));
    t.equal(await publisher.store.lastSeq('r'), 2, 'the rejected event is stored');

    await redis.restart(); // empty: this Redis keeps nothing on disk
    const next = await publisher.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(3) });
    await reader.bus.flush();
    t.equal(next.event.seq, 3);
    t.same(got, [1, 2, 3], 'the reader delivers the stored event before the next, from the store');
    t.same((await reader.bus.readAfter('r', 0)).events.map((e) => e.seq), [1, 2, 3]);
  });

  t.test('after Redis loses the run, numbering continues from the store and a resume reads it', async (t) => {
    const d = await deployment(t);
    const { bus } = await d.instance();
    for (let i = 1; i <= 3; i++) await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    await deleteRunKeys(d, 'r');
    const fresh = await d.instance();
    t.equal(await fresh.bus.lastSeq('r'), 3, 'the store answers for the last seq');
    const next = await fresh.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(4) });
    t.equal(next.event.seq, 4);
    const all = await fresh.bus.readAfter('r', 0);
    t.same(all.events.map((e) => e.seq), [1, 2, 3, 4]);
    t.equal(all.complete, true);
  });

  t.test('resumes older than the Redis window are read from the store', async (t) => {
    const d = await deployment(t);
    const { bus } = await d.instance({ replayWindow: 5 });
    for (let i = 1; i <= 20; i++) await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    const old = await bus.readAfter('r', 2);
    t.same(old.events.map((e) => e.seq), Array.from({ length: 18 }, (_, i) => i + 3));
    t.same(old, { ...old, complete: true, latestSeq: 20 });
    const recent = await bus.readAfter('r', 17, 2);
    t.same(recent.events.map((e) => e.seq), [18, 19]);
    t.same(recent, { ...recent, complete: true, latestSeq: 20 });
  });
});

/** What expiry (or a Redis restart, since this Redis keeps nothing on disk) does to a run. */
async function deleteRunKeys(d: Deployment, runId: string): Promise<void> {
  const client = new Redis(d.redisUrl);
  try {
    await client.del(`${d.prefix}run:${runId}:seq`, `${d.prefix}run:${runId}:history`);
  } finally {
    client.disconnect();
  }
}
