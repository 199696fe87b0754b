import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { once } from 'node:events';
import WebSocket from 'ws';
import { importScenario, startServer, type TestServer } from '../helpers/app.js';

// A seeded generator: a failure reproduces with the same seed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261125);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (n: number) => Math.floor(random() * n);

const weird = [0, -0, 1, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 1.5, 'x', '', '💥', '\u0000', true, false, null, [], {}, 'a'.repeat(2000)];
function randomValue(depth = 0): unknown {
  const roll = int(depth > 3 ? 3 : 6);
  if (roll === 0) return pick(weird);
  if (roll === 1) return int(1000) - 500;
  if (roll === 2) return Math.random().toString(36).slice(2);
  if (roll === 3) return Array.from({ length: int(4) }, () => randomValue(depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = int(5); i > 0; i--) o[pick(['type', 'run_id', 'scenario_name', 'since_seq', 'request_id', 'name', 'x', 'environment'])] = randomValue(depth + 1);
  return o;
}

const validMessages = [
  { type: 'ping' },
  { type: 'subscribe_training' },
  { type: 'subscribe_training', scenario_name: 'fuzz' },
  { type: 'subscribe_training', run_id: 'run_nope' },
  { type: 'subscribe_training', run_id: 'run_nope', since_seq: 3 },
  { type: 'unsubscribe_training', scenario_name: 'fuzz' }
];

/** A frame: mutated valid messages, random JSON, deep nesting, huge numbers, binary, bad UTF-8, oversize. */
function frame(): { data: string | Buffer; binary: boolean; kind: string } {
  const roll = int(100);
  if (roll < 35) {
    const m: Record<string, unknown> = { ...pick(validMessages) };
    const mutation = int(4);
    if (mutation === 0) m[pick(Object.keys(m))] = randomValue();
    if (mutation === 1) m[pick(['runId', 'since', 'extra', 'type'])] = randomValue();
    if (mutation === 2) delete m[pick(Object.keys(m))];
    return { data: JSON.stringify(m), binary: false, kind: 'mutated' };
  }
  if (roll < 60) return { data: JSON.stringify(randomValue()), binary: false, kind: 'random-json' };
  if (roll < 68) {
    const depth = 1000 + int(30_000);
    return { data: '['.repeat(depth) + ']'.repeat(depth), binary: false, kind: 'deep' };
  }
  if (roll < 74) return { data: `{"type":"subscribe_training","since_seq":1e${300 + int(100)},"run_id":"r"}`, binary: false, kind: 'huge-number' };
  if (roll < 82) return { data: `{"type":"ping"${pick(['', ',', '}', '{', '"'])}`.slice(0, 5 + int(20)), binary: false, kind: 'truncated' };
  if (roll < 90) return { data: Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256))), binary: true, kind: 'binary' };
  if (roll < 97) return { data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), binary: false, kind: 'bad-utf8' };
  return { data: 'x'.repeat(65 * 1024 + int(4096)), binary: false, kind: 'oversize' };
}

const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

let server: TestServer;
t.before(async () => {
  server = await startServer(t, { rateLimitPerMinute: 0 });
  await importScenario(server.app, 'test_scenario', 'fuzz');
});

t.test('10,000+ random and mutated frames: each gets its documented answer and the server never falls over', async (t) => {
  const FRAMES = 10_000;
  const counts: Record<string, number> = {};
  const closes: Record<string, number> = {};
  const answers: Record<string, number> = {};
  let sent = 0;
  // Warm up, then take the memory baseline.
  for (let i = 0; i < 3; i++) (await server.connect()).ws.close();
  const heapBefore = heapMb();

  while (sent < FRAMES) {
    const ws = new WebSocket(server.wsUrl);
    const replies: Array<{ type: string; code?: string }> = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    ws.on('error', () => {});
    const closed = once(ws, 'close');
    await once(ws, 'open');
    // Fewer than 20 invalid frames per connection (the 4400 rule), sent one at a time.
    let expectedClose: number | null = null;
    let batch = 0;
    for (; batch < 15 && expectedClose === null; batch++) {
      const f = frame();
      counts[f.kind] = (counts[f.kind] ?? 0) + 1;
      sent++;
      const before = replies.length;
      ws.send(f.data, { binary: f.binary });
      if (f.kind === 'bad-utf8') expectedClose = 1007;
      else if (f.kind === 'oversize') expectedClose = 1009;
      else {
        while (replies.length <= before) {
          await Promise.race([once(ws, 'message'), closed]);
          if (ws.readyState !== WebSocket.OPEN) break;
        }
        const reply = replies[replies.length - 1];
        const key = reply.type === 'error' ? `error:${reply.code}` : reply.type;
        answers[key] = (answers[key] ?? 0) + 1;
      }
    }
    if (expectedClose === null) ws.close();
    const [code] = await closed;
    closes[String(code)] = (closes[String(code)] ?? 0) + 1;
    if (expectedClose !== null && code !== expectedClose) t.fail(`expected close ${expectedClose}, got ${code}`);
  }

  const documented = new Set([
    'connection_established', 'pong', 'subscription_confirmed', 'unsubscribed',
    'error:invalid_json', 'error:invalid_message', 'error:unknown_type', 'error:invalid_request', 'error:unknown_run', 'error:binary_not_supported'
  ]);
  t.same(Object.keys(answers).filter((k) => !documented.has(k)), [], `answers: ${JSON.stringify(answers)}`);
  t.notOk(answers['error:internal_error']);
  t.ok(sent >= FRAMES, `${sent} frames sent: ${JSON.stringify(counts)}; closes: ${JSON.stringify(closes)}`);
  t.same(Object.keys(closes).filter((c) => !['1005', '1000', '1007', '1009'].includes(c)), [], 'only documented close codes');
  while (server.app.gateway.stats().clients > 0) await new Promise((r) => setImmediate(r));
  t.same(server.app.gateway.stats().subscriptions, { all: 0, runs: 0, scenarios: 0 }, 'no subscription outlives its socket');
  const heapAfter = heapMb();
  t.ok(heapAfter - heapBefore < 25, `heap ${heapBefore.toFixed(1)} MB → ${heapAfter.toFixed(1)} MB after GC`);
  const c = await server.connect();
  t.match(await c.request({ type: 'ping' }, 'alive'), { type: 'pong' });
});

t.test('random bodies, params and queries at every REST route never produce a 5xx', async (t) => {
  const spec = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path }))
  );
  t.ok(routes.length >= 20, `${routes.length} routes from the OpenAPI document`);
  const statuses: Record<string, number> = {};
  let requests = 0;
  for (const route of routes) {
    for (let i = 0; i < 60; i++) {
      const url =
        route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(pick(['x', '..', '%00', 'a'.repeat(300), 'templates', 'run_x', '']))) || 'y') +
        (int(3) === 0 ? `?${pick(['after_seq', 'limit', 'name', 'status', 'offset'])}=${encodeURIComponent(String(randomValue()))}` : '');
      const asYaml = int(5) === 0;
      const body = asYaml ? `environment:\n  income: ${String(randomValue())}\n${'  '.repeat(int(3))}x: [` : JSON.stringify(randomValue());
      const res = await server.app.inject({
        method: route.method as 'POST',
        url,
        headers: { 'content-type': asYaml ? 'application/yaml' : pick(['application/json', 'application/json', 'text/plain']) },
        ...(route.method !== 'GET' && route.method !== 'DELETE' && { payload: body })
      });
      requests++;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 500) t.fail(`${route.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      else if (res.statusCode >= 400) {
        const error = res.json();
        if (typeof error.message !== 'string' || error.statusCode !== res.statusCode) t.fail(`${route.method} ${url}: error body ${res.body.slice(0, 200)}`);
      }
    }
  }
  t.pass(`${requests} requests: ${JSON.stringify(statuses)}`);
  t.equal((await server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});
