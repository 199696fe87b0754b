// Scale-out benchmark (issue 10): the scaled deployment (gateways and trainers over Redis and
// PostgreSQL) against the embedded single process, in one run.
//   npm run bench:scale -- [--clients 1000] [--seconds 20] [--train-seconds 30] [--out bench/results/scale.json]
// (1) publish→receive latency at 20 events/s to N clients: the embedded process publishing
//     to its own clients (memory bus) vs a publisher process (as a trainer) through the Redis
//     bus to a gateway's clients (bench/scale-publisher.ts);
// (2) N clients on one gateway vs split over two: deliveries per server CPU-second;
// (3) two concurrent runs on one trainer vs two trainers (HRL_WORKERS=1 each): episodes/s.
// Every figure is written with the machine's core count and the load average when measured.
// Needs PostgreSQL and Redis (HRL_TEST_DATABASE_URL / HRL_TEST_REDIS_URL, else the local defaults).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { nowMs } from './fanout/common.js';

const arg = (name: string, fallback: number | string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : String(fallback);
};
const CLIENTS = Number(arg('clients', 1000));
const SECONDS = Number(arg('seconds', 20));
const TRAIN_SECONDS = Number(arg('train-seconds', 30));
const OUT = arg('out', 'bench/results/scale.json');
const HZ = 20;
const REDIS_URL = process.env.HRL_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const PG_ADMIN = process.env.HRL_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const root = new URL('..', import.meta.url);
const yaml = readFileSync(new URL('examples/scenarios/test_scenario.yaml', root), 'utf8');
const cores = os.availableParallelism();
const load = () => os.loadavg()[0]!.toFixed(1);

// ---- deployment -------------------------------------------------------------------------
const dbName = `hrl_bench_${randomBytes(5).toString('hex')}`;
const prefix = `hrl-bench:${randomBytes(5).toString('hex')}:`;
const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};
const dbUrl = (() => {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

interface Proc {
  child: ChildProcess;
  url: string;
}
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

async function spawnServer(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('src/server.ts', root).pathname], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', HRL_RATE_LIMIT: '0', HRL_MAX_EVENT_LOOP_DELAY_MS: '0', HRL_PROGRESS_HZ: String(HZ), ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { child, url };
}
/** The publisher child (bench/scale-publisher.ts): the embedded server itself, or a Redis bus publisher. */
async function spawnPublisher(mode: 'embedded' | 'redis', env: Record<string, string>): Promise<{ child: ChildProcess; url: string; publish(run: string, scenario: string): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('bench/scale-publisher.ts', root).pathname, mode], {
    env: { ...process.env, HRL_RATE_LIMIT: '0', HRL_MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  });
  children.push(child);
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string }));
    child.once('exit', (code) => reject(new Error(`publisher exited ${code}`)));
  });
  return {
    child,
    url: ready.url,
    publish: (run, scenario) =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ cmd: 'publish', run, scenario, seconds: SECONDS, hz: HZ });
      })
  };
}
const scaledEnv = () => ({ HRL_DATABASE_URL: dbUrl, HRL_REDIS_URL: REDIS_URL, HRL_REDIS_PREFIX: prefix });
const scaled = (role: string, extra: Record<string, string> = {}) =>
  spawnServer({ HRL_ROLE: role, ...scaledEnv(), HRL_WORKERS: '1', HRL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'hrl-bench-')), ...extra });
async function stopAll(...procs: Proc[]): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.child.exitCode !== null) return;
      p.child.kill('SIGKILL');
      await new Promise((r) => p.child.once('exit', r));
    })
  );
}

/** CPU seconds (user + system) a process has used: /proc/<pid>/stat fields 14 and 15, in clock ticks (100 per second on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const post = async (base: string, url: string, body: string, type = 'application/json') =>
  (await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': type }, body })).json() as Promise<any>;
const startRun = async (base: string, scenario: string, seed: number): Promise<string> => {
  const res = await post(base, '/api/training/start', JSON.stringify({ scenario_name: scenario, num_episodes: 1_000_000, seed, eval_episodes: 0 }));
  if (!res.data?.run_id) throw new Error(`start failed: ${JSON.stringify(res)}`);
  return res.data.run_id;
};
const stopRun = (base: string, runId: string) => post(base, '/api/training/stop', JSON.stringify({ run_id: runId }));

// ---- client fleet -----------------------------------------------------------------------
interface Fleet {
  deliveries: number;
  latencies: number[];
  measuring: boolean;
  close(): void;
}
async function connectFleet(wsUrls: string[], clients: number, scenario: string): Promise<Fleet> {
  const fleet: Fleet = { deliveries: 0, latencies: [], measuring: false, close: () => sockets.forEach((s) => s.terminate()) };
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, clients - i) }, (_, k) => {
        const ws = new WebSocket(wsUrls[(i + k) % wsUrls.length]!);
        sockets.push(ws);
        return new Promise<void>((resolve, reject) => {
          ws.on('message', (raw) => {
            const m = JSON.parse(String(raw));
            if (m.type === 'connection_established') ws.send(JSON.stringify({ type: 'subscribe_training', scenario_name: scenario }));
            else if (m.type === 'subscription_confirmed') resolve();
            else if (typeof m.seq === 'number' && fleet.measuring) {
              fleet.deliveries++;
              fleet.latencies.push(nowMs() - m.data.elapsed_time);
            }
          });
          ws.once('error', reject);
        });
      })
    );
  }
  return fleet;
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `clients` on the given gateways while the publisher sends HZ events/s for SECONDS: latency, deliveries per server CPU-second. */
async function measureDelivery(publisher: Awaited<ReturnType<typeof spawnPublisher>>, wsUrls: string[], serverPids: number[], run: string) {
  const fleet = await connectFleet(wsUrls, CLIENTS, 'bench');
  await sleep(1000);
  const cpu0 = serverPids.map(cpuSeconds);
  fleet.measuring = true;
  const t0 = Date.now();
  await publisher.publish(run, 'bench');
  // Every delivery counts, late ones too (up to 30 s after the last publish): a loaded
  // gateway shows as latency, not as a lower count.
  const expected = SECONDS * HZ * CLIENTS;
  for (const deadline = Date.now() + 30_000; fleet.deliveries < expected && Date.now() < deadline; ) await sleep(100);
  fleet.measuring = false;
  const wall = (Date.now() - t0) / 1000;
  const cpu = serverPids.map(cpuSeconds).reduce((s, v, i) => s + v - cpu0[i]!, 0);
  fleet.close();
  const sorted = fleet.latencies.sort((a, b) => a - b);
  const r = (v: number) => Number(v.toFixed(2));
  return {
    clients: CLIENTS,
    gateways: wsUrls.length,
    events_published: SECONDS * HZ,
    deliveries: fleet.deliveries,
    expected_deliveries: SECONDS * HZ * CLIENTS,
    deliveries_per_s: Math.round(fleet.deliveries / wall),
    server_cpu_s: r(cpu),
    deliveries_per_server_cpu_s: Math.round(fleet.deliveries / cpu),
    p50_ms: r(pct(sorted, 50)),
    p99_ms: r(pct(sorted, 99)),
    cores,
    load_average: load()
  };
}

async function episodesPerSecond(base: string, runIds: string[], seconds: number): Promise<number> {
  const count = async () => {
    let total = 0;
    for (const id of runIds) total += ((await (await fetch(`${base}/api/training/runs/${id}`)).json()) as any).episodes_completed;
    return total;
  };
  await sleep(5000); // both runs started
  const e0 = await count();
  const t0 = Date.now();
  await sleep(seconds * 1000);
  return (await count() - e0) / ((Date.now() - t0) / 1000);
}

// ---- the run ------------------------------------------------------------------------------
await admin(`CREATE DATABASE ${dbName}`);
const results: Record<string, unknown> = { cores, clients: CLIENTS, seconds: SECONDS, events_per_s: HZ, started_at: new Date().toISOString() };
try {
  // Embedded single process: it publishes (bus → SQLite → its own /ws) and serves the clients.
  const one = await spawnPublisher('embedded', { HRL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'hrl-bench-')), HRL_WORKERS: '1' });
  const embeddedDelivery = await measureDelivery(one, [`${one.url.replace('http', 'ws')}/ws`], [one.child.pid!], 'bench_embedded');
  console.log('embedded', embeddedDelivery);
  one.child.kill('SIGKILL');

  // Scaled: two gateways and one trainer; a publisher process stands for the trainer's publishing.
  const [ga, gb, t1, publisher] = await Promise.all([scaled('gateway'), scaled('gateway'), scaled('trainer'), spawnPublisher('redis', scaledEnv())]);
  for (const name of ['a', 'b', 'c', 'd']) await post(ga!.url, `/api/scenarios/import?name=${name}`, yaml, 'application/yaml');
  const ws = (p: Proc) => `${p.url.replace('http', 'ws')}/ws`;
  const redisOne = await measureDelivery(publisher!, [ws(ga!)], [ga!.child.pid!], 'bench_one');
  console.log('redis, one gateway', redisOne);
  const redisTwo = await measureDelivery(publisher!, [ws(ga!), ws(gb!)], [ga!.child.pid!, gb!.child.pid!], 'bench_two');
  console.log('redis, two gateways', redisTwo);
  results.latency = {
    embedded: { p50_ms: embeddedDelivery.p50_ms, p99_ms: embeddedDelivery.p99_ms },
    redis_bus: { p50_ms: redisOne.p50_ms, p99_ms: redisOne.p99_ms },
    target: 'redis p99 ≤ embedded p99 + 5 ms',
    met: redisOne.p99_ms <= embeddedDelivery.p99_ms + 5,
    cores,
    load_average: redisOne.load_average
  };
  results.gateways = {
    embedded: embeddedDelivery,
    one_gateway: redisOne,
    two_gateways: redisTwo,
    ratio_two_vs_one: Number((redisTwo.deliveries_per_server_cpu_s / redisOne.deliveries_per_server_cpu_s).toFixed(3)),
    target: 'ratio ≥ 0.9',
    cores
  };

  // (3) Two concurrent runs: one trainer (HRL_WORKERS=1, so they take turns) vs two.
  const runsOne = [await startRun(ga!.url, 'a', 4), await startRun(ga!.url, 'b', 5)];
  const oneTrainer = await episodesPerSecond(ga!.url, runsOne, TRAIN_SECONDS);
  await Promise.all(runsOne.map((id) => stopRun(ga!.url, id)));
  const t2 = await scaled('trainer');
  await sleep(3000);
  const runsTwo = [await startRun(ga!.url, 'c', 6), await startRun(ga!.url, 'd', 7)];
  const twoTrainers = await episodesPerSecond(ga!.url, runsTwo, TRAIN_SECONDS);
  await Promise.all(runsTwo.map((id) => stopRun(ga!.url, id)));
  results.trainers = {
    one_trainer_episodes_per_s: Number(oneTrainer.toFixed(1)),
    two_trainers_episodes_per_s: Number(twoTrainers.toFixed(1)),
    speedup: Number((twoTrainers / oneTrainer).toFixed(2)),
    workers_per_trainer: 1,
    cores,
    load_average: load()
  };
  console.log('trainers', results.trainers);
  await stopAll(ga!, gb!, t1!, t2, publisher!);
} finally {
  children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  await sleep(500);
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}
mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
console.log(`written ${OUT}`);
process.exit(0);
