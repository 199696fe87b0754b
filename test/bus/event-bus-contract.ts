// The behaviour every EventBus implementation must have (in-memory now, Redis later).
// A new implementation's test file calls runEventBusContract with a factory and says
// whether several instances (processes) can share one bus.
import type { Test } from 'tap';
import type { BusMessage, EventBus, EventStore } from '../../src/bus/event-bus.js';
import type { RunEvent } from '../../src/contracts/events.js';
import { progressData } from '../helpers/runs.js';

export interface BusFixture {
  bus: EventBus;
  store: EventStore;
  /** A second bus over the same store, as after a restart. */
  reopen(): Promise<EventBus>;
  /**
   * Another live instance sharing this bus's backing store and channel, as a second
   * gateway or trainer process has; required when the implementation is multi-instance.
   */
  peer?(): Promise<EventBus>;
}

/** Whether instances in several processes form one bus; a single-process bus says why not. */
export type MultiInstance = { supported: true } | { supported: false; reason: string };

/** Resolves with the first `count` messages a listener receives (delivery across instances is asynchronous). */
function receive(bus: EventBus, count: number): Promise<BusMessage[]> {
  return new Promise((resolve) => {
    const got: BusMessage[] = [];
    const off = bus.subscribe((m) => {
      got.push(m);
      if (got.length === count) {
        off();
        resolve(got);
      }
    });
  });
}

const progress = (episode: number) => progressData(episode, 100);

export function runEventBusContract(t: Test, makeFixture: (t: Test) => Promise<BusFixture>, multiInstance: MultiInstance): void {
  t.test('numbers each run 1, 2, 3 with no gap, independently per run', async (t) => {
    const { bus } = await makeFixture(t);
    const seqs: Record<string, number[]> = { a: [], b: [] };
    bus.subscribe((m) => seqs[m.event.run_id].push(m.event.seq));
    for (let i = 1; i <= 5; i++) {
      await bus.publish({ run_id: 'a', scenario_name: 's', type: 'training_progress', data: progress(i) });
      if (i <= 3) await bus.publish({ run_id: 'b', scenario_name: 's', type: 'training_progress', data: progress(i) });
    }
    t.same(seqs, { a: [1, 2, 3, 4, 5], b: [1, 2, 3] });
  });

  t.test('delivers concurrent publishes in publish order', async (t) => {
    const { bus } = await makeFixture(t);
    const got: number[] = [];
    bus.subscribe((m) => got.push((m.event.data as { episode: number }).episode));
    await Promise.all(Array.from({ length: 200 }, (_, i) => bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i + 1) })));
    t.same(got, Array.from({ length: 200 }, (_, i) => i + 1));
  });

  t.test('serializes each event once: the frame is the envelope as JSON', async (t) => {
    const { bus } = await makeFixture(t);
    const frames: BusMessage[] = [];
    bus.subscribe((m) => frames.push(m));
    bus.subscribe((m) => t.equal(m.frame, frames[0].frame, 'every listener gets the same buffer'));
    const published = await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) });
    t.same(JSON.parse(published.frame.toString()), published.event);
    t.match(published.event, { type: 'training_progress', run_id: 'r', seq: 1, data: progress(1) });
    t.match(published.event.ts, /^\d{4}-\d{2}-\d{2}T/);
  });

  t.test("carries the run's scenario_name in every envelope, in memory and in the store", async (t) => {
    const { bus } = await makeFixture(t);
    const delivered: RunEvent[] = [];
    bus.subscribe((m) => delivered.push(m.event));
    await bus.publish({ run_id: 'r', scenario_name: 'home-budget', type: 'training_progress', data: progress(1) });
    await bus.publish({ run_id: 'r', scenario_name: 'home-budget', type: 'training_progress', data: progress(2) });
    t.same(delivered.map((e) => e.scenario_name), ['home-budget', 'home-budget']);
    const read = await bus.readAfter('r', 0);
    t.same(read.events.map((e) => e.scenario_name), ['home-budget', 'home-budget']);
  });

  t.test('rejects an event that fails its schema and does not consume a seq', async (t) => {
    const { bus } = await makeFixture(t);
    await t.rejects(
      bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: { ...progress(1), stability: 7 } }),
      { name: 'InvalidEventError', message: /stability/ }
    );
    const ok = await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) });
    t.equal(ok.event.seq, 1);
  });

  t.test('persists an event before any listener sees it', async (t) => {
    const { bus, store } = await makeFixture(t);
    // Asked when the listener runs; answered whenever the store replies (a networked store takes a while).
    const seenInStore: Array<Promise<boolean>> = [];
    bus.subscribe((m) => {
      seenInStore.push(store.lastSeq(m.event.run_id).then((last) => last >= m.event.seq));
    });
    for (let i = 1; i <= 3; i++) await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    await bus.flush();
    t.same(await Promise.all(seenInStore), [true, true, true]);
  });

  t.test('reads a run after a seq, from memory and from the store', async (t) => {
    const { bus, reopen } = await makeFixture(t);
    for (let i = 1; i <= 10; i++) await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    const after4 = await bus.readAfter('r', 4);
    t.same(after4.events.map((e) => e.seq), [5, 6, 7, 8, 9, 10]);
    t.equal(after4.complete, true);
    t.equal(after4.latestSeq, 10);
    const limited = await bus.readAfter('r', 0, 3);
    t.same(limited.events.map((e) => e.seq), [1, 2, 3]);
    const beyond = await bus.readAfter('r', 50);
    t.same(beyond, { events: [], complete: true, latestSeq: 10 });
    const fresh = await reopen();
    const fromStore = await fresh.readAfter('r', 4);
    t.same(fromStore.events, after4.events, 'a restarted bus reads the same envelopes from storage');
    const pageFromStore = await fresh.readAfter('r', 0, 3);
    t.same(pageFromStore.events.map((e) => e.seq), [1, 2, 3]);
    t.equal(pageFromStore.latestSeq, 10, 'a short page still reports the latest seq held');
  });

  t.test('continues numbering after a restart from the stored last seq', async (t) => {
    const { bus, reopen } = await makeFixture(t);
    for (let i = 1; i <= 3; i++) await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(i) });
    await bus.close();
    const fresh = await reopen();
    const next = await fresh.publish({
      run_id: 'r',
      scenario_name: 's',
      type: 'training_error',
      data: { message: 'interrupted', details: 'restart', scenario_name: 's', episodes_completed: 3 }
    });
    t.equal(next.event.seq, 4);
    t.equal(await fresh.lastSeq('r'), 4);
  });

  t.test('keeps delivering to other listeners when one throws', async (t) => {
    const { bus } = await makeFixture(t);
    const got: RunEvent[] = [];
    bus.subscribe(() => {
      throw new Error('listener bug');
    });
    bus.subscribe((m) => got.push(m.event));
    await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) });
    t.equal(got.length, 1);
  });

  t.test('stops delivering to an unsubscribed listener', async (t) => {
    const { bus } = await makeFixture(t);
    let count = 0;
    const off = bus.subscribe(() => count++);
    await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) });
    off();
    await bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(2) });
    t.equal(count, 1);
  });

  t.test('refuses to publish after close', async (t) => {
    const { bus } = await makeFixture(t);
    await bus.close();
    await t.rejects(bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(1) }), { name: 'BusClosedError' });
  });

  runMultiInstanceCases(t, makeFixture, multiInstance);
}

function runMultiInstanceCases(t: Test, makeFixture: (t: Test) => Promise<BusFixture>, multiInstance: MultiInstance): void {
  const skip = multiInstance.supported ? false : `single-process bus: ${multiInstance.reason}`;
  // A delivery that never crosses instances fails the case instead of hanging the file.
  const options = { skip, timeout: 30_000 };
  const twoInstances = async (t: Test) => {
    const fixture = await makeFixture(t);
    if (!fixture.peer) throw new Error('a multi-instance bus fixture must provide peer()');
    return { a: fixture.bus, b: await fixture.peer(), store: fixture.store };
  };
  const publishOn = (bus: EventBus, episode: number) => bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progress(episode) });

  t.test('two instances publishing one run number it 1, 2, 3 with no gap and no duplicate', options, async (t) => {
    const { a, b, store } = await twoInstances(t);
    const onA = receive(a, 6);
    const onB = receive(b, 6);
    for (let i = 1; i <= 6; i++) await publishOn(i % 2 ? a : b, i);
    const expected = [1, 2, 3, 4, 5, 6];
    t.same((await onA).map((m) => m.event.seq), expected, 'instance a delivers every event once, in order');
    t.same((await onB).map((m) => m.event.seq), expected, 'instance b delivers every event once, in order');
    t.same((await store.readEvents('r', 0, 100)).map((e) => e.seq), expected, 'the store holds each seq once');
  });

  t.test('concurrent publishes on two instances still give one contiguous numbering', options, async (t) => {
    const { a, b } = await twoInstances(t);
    const onB = receive(b, 40);
    const published = await Promise.all(Array.from({ length: 40 }, (_, i) => publishOn(i % 2 ? a : b, i + 1)));
    const seqs = published.map((m) => m.event.seq).sort((x, y) => x - y);
    t.same(seqs, Array.from({ length: 40 }, (_, i) => i + 1));
    const delivered = (await onB).map((m) => m.event.seq);
    t.same(delivered, seqs, 'a listener sees them in seq order');
  });

  t.test('a listener on one instance receives what the other published, frame for frame', options, async (t) => {
    const { a, b } = await twoInstances(t);
    const onB = receive(b, 1);
    const sent = await publishOn(a, 1);
    const [got] = await onB;
    t.same(got!.event, sent.event);
    t.equal(got!.scenario_name, 's');
    t.same(JSON.parse(got!.frame.toString()), sent.event);
  });

  t.test('either instance reads the history and last seq the other published', options, async (t) => {
    const { a, b } = await twoInstances(t);
    for (let i = 1; i <= 5; i++) await publishOn(a, i);
    t.equal(await b.lastSeq('r'), 5);
    const read = await b.readAfter('r', 2);
    t.same(read.events.map((e) => e.seq), [3, 4, 5]);
    t.equal(read.complete, true);
  });
}
