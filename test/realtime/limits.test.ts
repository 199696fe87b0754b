import t from 'tap';
import { once } from 'node:events';
import { connect } from 'node:net';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { startServer } from '../helpers/app.js';
import { createStoredRun, progressData } from '../helpers/runs.js';
import { TestClient } from '../helpers/ws-client.js';

async function publishMany(app: FastifyInstance, runId: string, from: number, count: number) {
  for (let i = 0; i < count; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      batch.push(app.bus.publish({ run_id: runId, scenario_name: 'load', type: 'training_progress', data: progressData(from + j) }));
    }
    await Promise.all(batch);
  }
}

const upgradeStatus = async (url: string) => {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  const [, res] = await once(ws, 'unexpected-response');
  ws.terminate();
  return { status: (res as { statusCode: number }).statusCode, retryAfter: (res as { headers: Record<string, string> }).headers['retry-after'] };
};

t.test('connections beyond the per-address cap get 429 and beyond the total cap 503, before the upgrade', async (t) => {
  const perIp = await startServer(t, { maxConnectionsPerIp: 3 });
  await Promise.all([1, 2, 3].map(() => perIp.connect()));
  t.same(await upgradeStatus(perIp.wsUrl), { status: 429, retryAfter: '5' });
  const total = await startServer(t, { maxConnections: 2 });
  await Promise.all([1, 2].map(() => total.connect()));
  t.same(await upgradeStatus(total.wsUrl), { status: 503, retryAfter: '5' });
});

t.test('behind a trusted proxy, connection caps count the forwarded client address', async (t) => {
  const server = await startServer(t, { maxConnectionsPerIp: 1, trustProxy: '127.0.0.1' });
  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
  const a = await TestClient.connect(server.wsUrl, from('203.0.113.1'));
  const b = await TestClient.connect(server.wsUrl, from('203.0.113.2'));
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const again = new WebSocket(server.wsUrl, from('203.0.113.1'));
  again.on('error', () => {});
  const [, res] = await once(again, 'unexpected-response');
  again.terminate();
  t.equal((res as { statusCode: number }).statusCode, 429, 'a second socket from the same client is refused');
});

t.test('a client that vanishes in the middle of a frame is cleaned up', async (t) => {
  const server = await startServer(t);
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
  await once(socket, 'data'); // 101 and connection_established
  t.equal(server.app.gateway.stats().clients, 1);
  // A masked text frame announcing 100 bytes, of which only 3 arrive before the peer is gone.
  socket.write(Buffer.from([0x81, 0x80 | 100, 1, 2, 3, 4, 0x7b, 0x22, 0x74]));
  socket.destroy();
  while (server.app.gateway.stats().clients > 0) await new Promise((r) => setTimeout(r, 10));
  t.same(server.app.gateway.stats().subscriptions, { all: 0, runs: 0, scenarios: 0 });
  const c = await server.connect();
  t.match(await c.request({ type: 'ping' }, 'after-vanish'), { type: 'pong' });
});

t.test('persistent message floods are closed with 4429', async (t) => {
  const server = await startServer(t);
  const c = await server.connect();
  for (let i = 0; i < 600; i++) c.send({ type: 'ping' });
  t.equal((await c.closed).code, 4429);
  t.ok(c.frames.some((f) => f.code === 'rate_limited'));
});

t.test('1,000 connections opened and closed leave no sockets, subscriptions, listeners or timers behind', async (t) => {
  const server = await startServer(t);
  const baseline = {
    resources: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length,
    stats: server.app.gateway.stats()
  };
  for (let round = 0; round < 10; round++) {
    const clients = await Promise.all(Array.from({ length: 100 }, () => TestClient.connect(server.wsUrl)));
    await Promise.all(clients.map((c, i) => c.subscribe(i % 2 ? {} : { scenario_name: `s${i}` })));
    await Promise.all(clients.map((c) => c.close()));
  }
  // Server-side close handlers run after the client sees the close.
  while (server.app.gateway.stats().clients > 0) await new Promise((r) => setImmediate(r));
  t.same(server.app.gateway.stats(), { clients: 0, congested: 0, replays: 0, subscriptions: { all: 0, runs: 0, scenarios: 0 } });
  t.same(baseline.stats, { clients: 0, congested: 0, replays: 0, subscriptions: { all: 0, runs: 0, scenarios: 0 } });
  const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
  t.ok(resources <= baseline.resources + 2, `active handles/timers ${baseline.resources} → ${resources}`);
});

t.test('a client that never reads is coalesced then closed with 4008, others get everything in order, memory stays bounded, and it resumes without a gap', async (t) => {
  const server = await startServer(t, { wsHighWaterBytes: 64 * 1024, wsHardCapBytes: 1024 * 1024, wsStallMs: 500 });
  await createStoredRun(server.app, 'flood', 'load');
  const fast = await server.connect();
  await fast.subscribe({ run_id: 'flood' });
  const slow = await server.connect();
  await slow.subscribe({ run_id: 'flood' });
  // Stop reading: the kernel buffers fill, then the server's queue for this socket.
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const EVENTS = 40_000; // ~13 MB of frames: more than the loopback socket buffers hold
  // Published at the pace a reading client keeps up with (a run's real rate is far lower).
  for (let from = 1; from <= EVENTS; from += 2000) {
    await publishMany(server.app, 'flood', from, 2000);
    await fast.next((f) => f.seq === from + 1999);
  }
  await server.app.bus.publish({
    run_id: 'flood', scenario_name: 'load', type: 'training_completed',
    data: {
      scenario_name: 'load', episodes_completed: EVENTS, model_name: 'm', duration_s: 1,
      final_metrics: { avg_reward: 1, avg_duration: 1, avg_cash: 1, avg_invested: 1, avg_portfolio: 1, stability: 1, goal_adherence: 0, max_reward: 1, final_reward: 1, eval_episodes: 0, eval_reward_mean: null, eval_total_wealth_mean: null }
    }
  });
  await fast.terminal('flood');
  // The stall rule closes the slow socket once it has been congested for 500 ms.
  while (server.app.gateway.stats().congested > 0) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  t.same(fast.runEvents('flood').map((e) => e.seq), Array.from({ length: EVENTS + 1 }, (_, i) => i + 1), 'the reading client got every event in order');
  const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
  t.ok(growthMb < 256, `RSS grew by ${growthMb.toFixed(0)} MB at most (bound: 256 MB, frames published: ~${((EVENTS * 330) / 1e6).toFixed(0)} MB)`);

  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const closed = await slow.closed;
  t.equal(closed.code, 4008);
  const seen = slow.runEvents('flood').map((e) => e.seq);
  t.ok(seen.length < EVENTS, `the slow client got ${seen.length} events before the close (progress was coalesced)`);
  t.same(seen, [...seen].sort((a, b) => a - b), 'what it got was in order, without repeats');
  t.equal(new Set(seen).size, seen.length);

  const again = await server.connect();
  const lastSeq = seen.at(-1) ?? 0;
  const confirmed = await again.subscribe({ run_id: 'flood', since_seq: lastSeq });
  t.match(confirmed, { resumed: true, replayed: EVENTS + 1 - lastSeq });
  await again.terminal('flood');
  t.same(
    again.runEvents('flood').map((e) => e.seq),
    Array.from({ length: EVENTS + 1 - lastSeq }, (_, i) => lastSeq + 1 + i),
    'the resume continues exactly after the last event it saw'
  );
});

t.test('a connection holds at most the configured number of subscriptions; one more gets too_many_subscriptions', async (t) => {
  const server = await startServer(t, { wsMaxSubscriptions: 3 });
  const c = await server.connect();
  for (const name of ['a', 'b', 'c']) await c.subscribe({ scenario_name: name });
  const refused = await c.request({ type: 'subscribe_training', scenario_name: 'd' }, 'fourth');
  t.match(refused, { type: 'error', code: 'too_many_subscriptions', message: /at most 3 subscriptions/ });
  t.match(await c.request({ type: 'subscribe_training', scenario_name: 'a' }, 'again'), { type: 'subscription_confirmed' }, 'repeating a held filter is no new subscription');
  await c.request({ type: 'unsubscribe_training', scenario_name: 'b' }, 'drop-b');
  t.match(await c.request({ type: 'subscribe_training', scenario_name: 'd' }, 'after-drop'), { type: 'subscription_confirmed' });
  t.same(server.app.gateway.stats().subscriptions, { all: 0, runs: 0, scenarios: 3 });
  t.same(c.invalid, []);
});
