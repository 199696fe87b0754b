// Soak: a spawned server, 1,000 subscribed WebSocket clients in this process, real training
// runs publishing at a high progress rate for a while. Reports connections held, events
// delivered, events lost / duplicated per connected client, and server RSS over time.
//   npm run bench:soak -- [--clients 1000] [--seconds 60] [--hz 50] [--runs 2]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CLIENTS = arg('clients', 1000);
const SECONDS = arg('seconds', 60);
const HZ = arg('hz', 50);
const RUNS = Math.min(2, arg('runs', 2));

const root = new URL('..', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(`examples/scenarios/${name}.yaml`, root), 'utf8');
const dataDir = mkdtempSync(path.join(tmpdir(), 'hrl-soak-'));

const child = spawn(process.execPath, ['--import', 'tsx', new URL('src/server.ts', root).pathname], {
  env: {
    ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', HRL_DATA_DIR: dataDir, HRL_WORKERS: String(RUNS),
    HRL_PROGRESS_HZ: String(HZ), HRL_RATE_LIMIT: '0', HRL_MAX_EVENT_LOOP_DELAY_MS: '0'
  },
  stdio: ['ignore', 'pipe', 'inherit']
});
const stop = () => child.exitCode === null && child.kill('SIGKILL');
process.on('exit', stop);
const base = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
    if (m) resolve(m[1]);
  });
  child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
});
const rssMb = () => {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};
const post = async (url: string, body: string, type = 'application/json'): Promise<any> =>
  (await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': type }, body })).json();

const scenarios = ['bologna_coppia', 'balanced'].slice(0, RUNS);
for (const s of scenarios) await post(`/api/scenarios/import?name=${s}`, fixture(s), 'application/yaml');
const rssIdle = rssMb();

interface Conn { ws: WebSocket; seqs: Map<string, number[]>; closedCode: number | null }
const conns: Conn[] = [];
for (let i = 0; i < CLIENTS; i += 100) {
  await Promise.all(
    Array.from({ length: Math.min(100, CLIENTS - i) }, () => new Promise<void>((resolve, reject) => {
      const conn: Conn = { ws: new WebSocket(`${base.replace('http', 'ws')}/ws`), seqs: new Map(), closedCode: null };
      conn.ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'subscription_confirmed') resolve();
        if (typeof m.seq === 'number') {
          let list = conn.seqs.get(m.run_id);
          if (!list) conn.seqs.set(m.run_id, (list = []));
          list.push(m.seq);
        }
      });
      conn.ws.on('open', () => conn.ws.send(JSON.stringify({ type: 'subscribe_training' })));
      conn.ws.on('close', (code) => (conn.closedCode = code));
      conn.ws.on('error', reject);
      conns.push(conn);
    }))
  );
}
const rssConnected = rssMb();
console.log(`${conns.length} clients connected and subscribed; server RSS ${rssIdle.toFixed(0)} → ${rssConnected.toFixed(0)} MB`);

const runIds: string[] = [];
for (const s of scenarios) runIds.push((await post('/api/training/start', JSON.stringify({ scenario_name: s, num_episodes: 1_000_000, seed: 1 }))).data.run_id);
let rssPeak = rssConnected;
const started = Date.now();
while (Date.now() - started < SECONDS * 1000) {
  await new Promise((r) => setTimeout(r, 1000));
  rssPeak = Math.max(rssPeak, rssMb());
}
for (const id of runIds) await post('/api/training/stop', JSON.stringify({ run_id: id }));
// Wait for every client to see every run's terminal event.
const terminalSeq = new Map<string, number>();
for (const id of runIds) {
  for (;;) {
    const res = await fetch(`${base}/api/training/runs/${id}/events?after_seq=0&limit=100000`);
    const { events } = (await res.json()) as { events: Array<{ type: string; seq: number }> };
    const last = events.at(-1);
    if (last && ['training_completed', 'training_stopped', 'training_error'].includes(last.type)) {
      terminalSeq.set(id, last.seq);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
const deadline = Date.now() + 60_000;
while (Date.now() < deadline && conns.some((c) => runIds.some((id) => (c.seqs.get(id)?.at(-1) ?? 0) < terminalSeq.get(id)!))) {
  await new Promise((r) => setTimeout(r, 200));
}
let delivered = 0;
let lost = 0;
let duplicates = 0;
let outOfOrder = 0;
for (const c of conns) {
  for (const id of runIds) {
    const seqs = c.seqs.get(id) ?? [];
    delivered += seqs.length;
    const unique = new Set(seqs);
    duplicates += seqs.length - unique.size;
    for (let i = 1; i < seqs.length; i++) if (seqs[i] <= seqs[i - 1]) outOfOrder++;
    lost += terminalSeq.get(id)! - unique.size;
  }
}
const closedEarly = conns.filter((c) => c.closedCode !== null).length;
for (const c of conns) c.ws.close();
await new Promise((r) => setTimeout(r, 2000));
const rssAfter = rssMb();
const events = [...terminalSeq.values()].reduce((a, b) => a + b, 0);
const result = {
  clients: CLIENTS, seconds: SECONDS, progress_hz: HZ, runs: RUNS,
  events_published: events, messages_delivered: delivered, messages_per_s: Math.round(delivered / SECONDS),
  lost, duplicates, out_of_order: outOfOrder, clients_closed_by_server: closedEarly,
  rss_mb: { idle: Math.round(rssIdle), connected: Math.round(rssConnected), peak: Math.round(rssPeak), after_disconnect: Math.round(rssAfter) },
  kb_per_connection: Math.round(((rssConnected - rssIdle) * 1024) / CLIENTS)
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/soak.json', import.meta.url), JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2) + '\n');
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
process.exit(lost === 0 && duplicates === 0 && outOfOrder === 0 ? 0 : 1);
