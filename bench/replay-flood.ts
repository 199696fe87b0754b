// Replay flood: a spawned server holding a finished run of 40,000 events, and one client
// that never reads and asks for the whole history again and again
// (`subscribe_training {run_id, since_seq: 0}`). Reports the server's RSS before and its
// peak while the flood lasts, and how the socket ended.
//   npm run bench:replay-flood -- [--events 40000] [--resumes 100] [--seconds 15]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import type { RunEvent } from '../src/contracts/events.js';
import { normalizeScenarioConfig } from '../src/hrl/index.js';
import { openStorage } from '../src/storage/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 40_000);
const RESUMES = arg('resumes', 100);
const SECONDS = arg('seconds', 15);
const RUN_ID = 'replay-flood';

const root = new URL('..', import.meta.url);
const dataDir = mkdtempSync(path.join(tmpdir(), 'hrl-replay-flood-'));

// The run and its events are written before the server starts: a finished run, as after training.
const storage = await openStorage({ filename: path.join(dataDir, 'hrl-finance.sqlite') });
const now = new Date().toISOString();
await storage.runs.create({
  run_id: RUN_ID, scenario_name: 'flood', status: 'completed', num_episodes: EVENTS, episodes_completed: EVENTS, seed: 1,
  created_at: now, started_at: now, finished_at: now, model_name: null, latest_progress: null, error: null,
  save_interval: 100, eval_episodes: 0, requested_model_name: null, config: normalizeScenarioConfig({})
});
for (let from = 1; from <= EVENTS; from += 5000) {
  const rows = [];
  for (let seq = from; seq < Math.min(EVENTS + 1, from + 5000); seq++) {
    const event = {
      type: 'training_progress', ts: now, run_id: RUN_ID, seq,
      data: { episode: seq, total_episodes: EVENTS, avg_reward: seq, avg_duration: 60, avg_cash: 1000, avg_invested: 500, stability: 1, goal_adherence: 0.05, elapsed_time: seq / 10 }
    } as RunEvent;
    rows.push({ event, scenario_name: 'flood' });
  }
  await storage.events.appendEvents(rows);
}
await storage.close();

const child = spawn(process.execPath, ['--import', 'tsx', new URL('src/server.ts', root).pathname], {
  env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', HRL_DATA_DIR: dataDir, HRL_WORKERS: '1', HRL_RATE_LIMIT: '0', HRL_MAX_EVENT_LOOP_DELAY_MS: '0' },
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
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;

const rssBefore = rssMb();
let rssPeak = rssBefore;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb())), 50);

const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
await new Promise((resolve) => ws.once('open', resolve));
let closeCode: number | null = null;
ws.on('close', (code) => (closeCode = code));
// Never read: the kernel buffers fill, then whatever the server queues for this socket.
(ws as unknown as { _socket: { pause(): void } })._socket.pause();
const started = Date.now();
for (let i = 0; i < RESUMES && ws.readyState === WebSocket.OPEN; i++) {
  ws.send(JSON.stringify({ type: 'subscribe_training', run_id: RUN_ID, since_seq: 0, request_id: `r${i}` }));
  // Within the inbound rate limit (50 per second), so every resume is handled.
  await new Promise((r) => setTimeout(r, 25));
}
const sentAllMs = Date.now() - started;
await new Promise((r) => setTimeout(r, SECONDS * 1000));
clearInterval(sampler);
(ws as unknown as { _socket: { resume(): void } })._socket.resume();
await new Promise((r) => setTimeout(r, 500));
const result = {
  events: EVENTS,
  resumes: RESUMES,
  resumes_sent_in_ms: sentAllMs,
  observed_s: SECONDS,
  rss_before_mb: Math.round(rssBefore),
  rss_peak_mb: Math.round(rssPeak),
  rss_growth_mb: Math.round(rssPeak - rssBefore),
  socket: closeCode === null ? 'still open' : `closed ${closeCode}`
};
console.log(JSON.stringify(result, null, 2));
ws.terminate();
stop();
