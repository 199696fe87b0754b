import t from 'tap';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { startServer, type TestServer } from '../helpers/app.js';
import { createStoredRun, progressData } from '../helpers/runs.js';
import { TestClient } from '../helpers/ws-client.js';

/** A run that exists in storage but is driven by publishing directly. */
async function fakeRun(app: FastifyInstance, runId: string, scenario = 'scn') {
  await createStoredRun(app, runId, scenario, 'completed');
  let episode = 0;
  return {
    publish: (n = 1) =>
      Promise.all(
        Array.from({ length: n }, () =>
          app.bus.publish({ run_id: runId, scenario_name: scenario, type: 'training_progress', data: progressData(++episode) })
        )
      )
  };
}

/** A ping round trip: frames sent before it have arrived once the pong is back. */
const settle = (c: TestClient) => c.request({ type: 'ping' }, `settle-${Math.random()}`);

let server: TestServer;
t.before(async () => {
  server = await startServer(t, { heartbeatMs: 300 });
});

t.test('the first frame on every connection is connection_established', async (t) => {
  const ws = new WebSocket(server.wsUrl);
  const [data] = await once(ws, 'message');
  const frame = JSON.parse(data.toString());
  t.match(frame, { type: 'connection_established', protocol_version: 1, heartbeat_interval_ms: 300, session_id: String });
  t.match(frame.ts, /Z$/);
  ws.close();
});

t.test('a client that has not subscribed receives no run events', async (t) => {
  const run = await fakeRun(server.app, 'r-unsub');
  const c = await server.connect();
  await run.publish(3);
  await settle(c);
  t.same(c.runEvents(), []);
});

t.test('subscribe with no filter receives every run; a run filter only its run; a scenario filter only its scenario', async (t) => {
  const a = await fakeRun(server.app, 'r-a', 'alpha');
  const b = await fakeRun(server.app, 'r-b', 'beta');
  const all = await server.connect();
  const onlyA = await server.connect();
  const onlyBeta = await server.connect();
  t.match(await all.subscribe(), { replayed: 0, resumed: false });
  t.match(await onlyA.subscribe({ run_id: 'r-a' }), { run_id: 'r-a', replayed: 0, resumed: false });
  t.match(await onlyBeta.subscribe({ scenario_name: 'beta' }), { scenario_name: 'beta' });
  await a.publish(2);
  await b.publish(3);
  await Promise.all([all, onlyA, onlyBeta].map(settle));
  t.same(all.runEvents().map((e) => `${e.run_id}:${e.seq}`), ['r-a:1', 'r-a:2', 'r-b:1', 'r-b:2', 'r-b:3']);
  t.same(onlyA.runEvents().map((e) => `${e.run_id}:${e.seq}`), ['r-a:1', 'r-a:2']);
  t.same(onlyBeta.runEvents().map((e) => `${e.run_id}:${e.seq}`), ['r-b:1', 'r-b:2', 'r-b:3']);
  for (const c of [all, onlyA, onlyBeta]) t.same(c.invalid, [], 'every frame validates against schemas/');
});

t.test('a client whose filters overlap receives each event once', async (t) => {
  const run = await fakeRun(server.app, 'r-overlap', 'gamma');
  const c = await server.connect();
  await c.subscribe();
  await c.subscribe({ run_id: 'r-overlap' });
  await c.subscribe({ scenario_name: 'gamma' });
  await run.publish(4);
  await settle(c);
  t.same(c.runEvents().map((e) => e.seq), [1, 2, 3, 4]);
});

t.test('several clients receive the same run with identical frames', async (t) => {
  const run = await fakeRun(server.app, 'r-many');
  const clients = await Promise.all(Array.from({ length: 20 }, () => server.connect()));
  await Promise.all(clients.map((c) => c.subscribe({ run_id: 'r-many' })));
  await run.publish(5);
  await Promise.all(clients.map(settle));
  const reference = JSON.stringify(clients[0].runEvents());
  t.equal(clients[0].runEvents().length, 5);
  for (const c of clients) t.equal(JSON.stringify(c.runEvents()), reference);
});

t.test('unsubscribe stops delivery and is confirmed with the filter echoed', async (t) => {
  const run = await fakeRun(server.app, 'r-unsub2');
  const c = await server.connect();
  await c.subscribe({ run_id: 'r-unsub2' });
  await run.publish(1);
  const reply = await c.request({ type: 'unsubscribe_training', run_id: 'r-unsub2' }, 'u1');
  t.match(reply, { type: 'unsubscribed', run_id: 'r-unsub2', request_id: 'u1' });
  await run.publish(2);
  await settle(c);
  t.same(c.runEvents().map((e) => e.seq), [1]);
});

t.test('ping is answered with pong carrying the request_id', async (t) => {
  const c = await server.connect();
  t.match(await c.request({ type: 'ping' }, 'p-1'), { type: 'pong', request_id: 'p-1' });
});

t.test('bad messages get an error naming the problem and the connection stays open', async (t) => {
  const c = await server.connect();
  const cases: Array<[string | Buffer, string, RegExp]> = [
    ['{not json', 'invalid_json', /JSON/],
    ['[1,2]', 'invalid_message', /object/],
    ['{"no_type":1}', 'invalid_message', /type/],
    ['{"type":"launch_rockets"}', 'unknown_type', /launch_rockets.*subscribe_training/],
    ['{"type":"subscribe_training","runId":"x"}', 'invalid_message', /unexpected field 'runId'/],
    ['{"type":"subscribe_training","run_id":"r","since_seq":-1}', 'invalid_message', /since_seq/],
    ['{"type":"subscribe_training","since_seq":3}', 'invalid_request', /since_seq needs run_id/],
    ['{"type":"subscribe_training","run_id":"r","scenario_name":"s"}', 'invalid_request', /not both/],
    ['{"type":"subscribe_training","run_id":"no-such-run"}', 'unknown_run', /no-such-run/],
    [Buffer.from([1, 2, 3]), 'binary_not_supported', /binary/]
  ];
  for (const [payload, code, message] of cases) {
    const from = c.frames.length;
    c.ws.send(payload, { binary: Buffer.isBuffer(payload) });
    const reply = await c.next((f) => f.type === 'error', { from });
    t.match(reply, { code, message }, `${String(payload)} → ${code}`);
  }
  t.match(await c.request({ type: 'ping' }, 'still-open'), { type: 'pong' });
  t.same(c.invalid, []);
});

t.test('a frame over 64 KiB closes the connection with 1009 and the server keeps serving', async (t) => {
  const c = await server.connect();
  c.send(JSON.stringify({ type: 'ping', request_id: 'x'.repeat(100 * 1024) }));
  t.equal((await c.closed).code, 1009);
  const other = await server.connect();
  t.match(await other.request({ type: 'ping' }, 'after'), { type: 'pong' });
});

t.test('more than 20 invalid messages within a minute close the connection with 4400', async (t) => {
  const c = await server.connect();
  for (let i = 0; i < 25; i++) c.send('nope');
  const closed = await c.closed;
  t.equal(closed.code, 4400);
  t.equal(c.frames.filter((f) => f.type === 'error').length, 20, 'the first 20 were answered');
});

t.test('messages beyond the rate limit get rate_limited errors', async (t) => {
  const c = await server.connect();
  for (let i = 0; i < 150; i++) c.send({ type: 'ping', request_id: `burst-${i}` });
  await c.next((f) => f.type === 'error' && f.code === 'rate_limited');
  await c.next((f) => f.request_id === 'burst-99');
  t.ok(c.frames.filter((f) => f.code === 'rate_limited').length >= 1);
  t.equal(c.ws.readyState, WebSocket.OPEN);
});

t.test('resume with since_seq replays the missed events, then live ones, with no gap and no duplicate', async (t) => {
  const run = await fakeRun(server.app, 'r-resume');
  await run.publish(5);
  const c = await server.connect();
  // Live events keep coming while the resume is answered.
  const publishing = run.publish(50);
  const confirmed = await c.subscribe({ run_id: 'r-resume', since_seq: 2 });
  t.equal(confirmed.resumed, true);
  t.ok(confirmed.replayed >= 3, `replayed ${confirmed.replayed}`);
  await publishing;
  await run.publish(5);
  await settle(c);
  t.same(c.runEvents().map((e) => e.seq), Array.from({ length: 58 }, (_, i) => i + 3));
});

t.test('since_seq at or beyond the latest replays nothing, resumes, and live events follow', async (t) => {
  const run = await fakeRun(server.app, 'r-beyond');
  await run.publish(3);
  const c = await server.connect();
  t.match(await c.subscribe({ run_id: 'r-beyond', since_seq: 3 }), { replayed: 0, resumed: true });
  const d = await server.connect();
  t.match(await d.subscribe({ run_id: 'r-beyond', since_seq: 99 }), { replayed: 0, resumed: true });
  await run.publish(1);
  await Promise.all([settle(c), settle(d)]);
  t.same(c.runEvents().map((e) => e.seq), [4]);
  t.same(d.runEvents().map((e) => e.seq), [4]);
});

t.test('the REST events route returns the same envelopes the socket sent', async (t) => {
  const run = await fakeRun(server.app, 'r-rest');
  const c = await server.connect();
  await c.subscribe({ run_id: 'r-rest' });
  await run.publish(4);
  await settle(c);
  const res = await server.app.inject({ method: 'GET', url: '/api/training/runs/r-rest/events?after_seq=1' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { run_id: 'r-rest', events: c.runEvents().slice(1) });
});

t.test('a peer that stops answering pings is terminated by the heartbeat', async (t) => {
  const ws = new WebSocket(server.wsUrl, { autoPong: false });
  const start = Date.now();
  const [code] = await once(ws, 'close');
  t.equal(code, 1006, 'terminated without a close frame');
  t.ok(Date.now() - start < 3000);
});

t.test('after a restart a client resumes from storage with no gap', async (t) => {
  const dataDir = t.testdir();
  const first = await buildApp(testConfig({ dataDir, workers: 1, logLevel: 'silent' }));
  const run = await fakeRun(first, 'r-restart');
  await run.publish(12);
  await first.close();

  const second = await startServer(t, { dataDir });
  const c = await second.connect();
  const confirmed = await c.subscribe({ run_id: 'r-restart', since_seq: 7 });
  t.match(confirmed, { replayed: 5, resumed: true });
  await settle(c);
  t.same(c.runEvents().map((e) => e.seq), [8, 9, 10, 11, 12]);
});

t.test('server shutdown closes every socket with 1001', async (t) => {
  const own = await buildApp(testConfig({ dataDir: t.testdir(), workers: 1, logLevel: 'silent' }));
  await own.listen({ port: 0, host: '127.0.0.1' });
  const { port } = own.server.address() as { port: number };
  const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(`ws://127.0.0.1:${port}/ws`)));
  await own.close();
  for (const c of clients) t.equal((await c.closed).code, 1001);
});
