import t from 'tap';
import type { FastifyInstance } from 'fastify';
import type { RunEvent } from '../../src/contracts/events.js';
import { REPLAY_PAGE } from '../../src/realtime/gateway.js';
import { startServer } from '../helpers/app.js';
import { createStoredRun, progressData } from '../helpers/runs.js';
import type { TestClient } from '../helpers/ws-client.js';

const EVENTS = 40_000;

/** Writes a run's history straight to storage, as a finished run (or a restarted server) has it. */
async function storeHistory(app: FastifyInstance, runId: string, count: number): Promise<void> {
  await createStoredRun(app, runId, 'replay', 'completed');
  const ts = new Date().toISOString();
  for (let from = 1; from <= count; from += 5000) {
    const rows = [];
    for (let seq = from; seq < Math.min(count + 1, from + 5000); seq++) {
      const event = { type: 'training_progress', ts, run_id: runId, seq, data: progressData(seq) } as RunEvent;
      rows.push({ event, scenario_name: 'replay' });
    }
    await app.storage.events.appendEvents(rows);
  }
}

const pauseReading = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
const resumeReading = (c: TestClient) => (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();

const seqsAfter = (c: TestClient, index: number, runId: string) =>
  c.frames.slice(index + 1).filter((f) => f.run_id === runId && typeof f.seq === 'number').map((f) => f.seq as number);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

t.test('a client that stops reading and repeats a full resume 100 times costs bounded memory and is closed with 4008', async (t) => {
  const server = await startServer(t, { wsHighWaterBytes: 64 * 1024, wsHardCapBytes: 1024 * 1024, wsStallMs: 500 });
  await storeHistory(server.app, 'long', EVENTS);
  const c = await server.connect();
  pauseReading(c);

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
  t.teardown(() => clearInterval(sampler));
  // Within the inbound burst allowance, so every one of them is handled.
  for (let i = 0; i < 100; i++) c.send({ type: 'subscribe_training', run_id: 'long', since_seq: 0, request_id: `r${i}` });
  // The stall rule closes the socket once its queue did not shrink for 500 ms, which ends the replay.
  const replays = () => server.app.gateway.stats().replays;
  while (replays() === 0) await new Promise((r) => setTimeout(r, 10));
  while (replays() > 0) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);

  const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
  // Before replays were paged and paced, each resume queued the whole history (~13 MB) on the socket.
  t.ok(growthMb < 64, `RSS grew by ${growthMb.toFixed(0)} MB at most (bound: 64 MB; 100 full replays would queue ~1.3 GB)`);
  resumeReading(c);
  t.equal((await c.closed).code, 4008);
  t.equal(server.app.gateway.stats().replays, 0);
  const confirmations = c.frames.filter((f) => f.type === 'subscription_confirmed');
  const replayed = c.frames.filter((f) => f.run_id === 'long').length;
  t.ok(replayed < EVENTS, `the client got ${replayed} replayed events before the close, not 100 × ${EVENTS}`);
  for (const f of confirmations) t.match(f, { resumed: true, replayed: EVENTS });
});

t.test('a new resume of the same run supersedes the one in progress: after its confirmation only its own replay follows, whole and in order', async (t) => {
  const server = await startServer(t);
  await storeHistory(server.app, 'twice', EVENTS);
  const c = await server.connect();
  c.send({ type: 'subscribe_training', run_id: 'twice', since_seq: 0, request_id: 'first' });
  c.send({ type: 'subscribe_training', run_id: 'twice', since_seq: EVENTS - 3 * REPLAY_PAGE, request_id: 'second' });
  const second = await c.next((f) => f.type === 'subscription_confirmed' && f.request_id === 'second');
  t.match(second, { resumed: true, replayed: 3 * REPLAY_PAGE });
  await c.next((f) => f.run_id === 'twice' && f.seq === EVENTS);
  const index = c.frames.indexOf(second);
  // Replayed events are stored, so frames after the last one would be a repeat: wait for a pong.
  await c.request({ type: 'ping' }, 'settled');
  t.same(seqsAfter(c, index, 'twice'), range(EVENTS - 3 * REPLAY_PAGE + 1, EVENTS));
  t.same(c.invalid, []);
});

t.test('a long replay while the run keeps publishing hands over to live events with no gap and no duplicate', async (t) => {
  const server = await startServer(t);
  await storeHistory(server.app, 'busy', 10 * REPLAY_PAGE);
  const c = await server.connect();
  const confirmed = c.request({ type: 'subscribe_training', run_id: 'busy', since_seq: 0 }, 'resume');
  const LIVE = 3000;
  const published = (async () => {
    for (let i = 1; i <= LIVE; i++) {
      const episode = 10 * REPLAY_PAGE + i;
      await server.app.bus.publish({ run_id: 'busy', scenario_name: 'replay', type: 'training_progress', data: progressData(episode) });
    }
  })();
  const confirmation = await confirmed;
  await published;
  await c.next((f) => f.run_id === 'busy' && f.seq === 10 * REPLAY_PAGE + LIVE);
  await c.request({ type: 'ping' }, 'settled');
  const index = c.frames.indexOf(confirmation);
  t.ok(confirmation.replayed >= 10 * REPLAY_PAGE, `${confirmation.replayed} events counted as history`);
  t.same(seqsAfter(c, index, 'busy'), range(1, 10 * REPLAY_PAGE + LIVE));
});

t.test('unsubscribing from a run stops its replay', async (t) => {
  const server = await startServer(t);
  await storeHistory(server.app, 'dropped', EVENTS);
  const c = await server.connect();
  await c.subscribe({ run_id: 'dropped', since_seq: 0 });
  c.send({ type: 'unsubscribe_training', run_id: 'dropped', request_id: 'bye' });
  const bye = await c.next((f) => f.type === 'unsubscribed');
  await c.request({ type: 'ping' }, 'settled');
  const index = c.frames.indexOf(bye);
  const after = seqsAfter(c, index, 'dropped');
  // At most the page being written when the unsubscribe arrived.
  t.ok(after.length <= REPLAY_PAGE, `${after.length} replayed events after the unsubscribe`);
  t.ok(c.frames.filter((f) => f.run_id === 'dropped').length < EVENTS, 'the replay did not run to the end');
});
