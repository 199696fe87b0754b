// REST under load (npm run bench:api [-- --duration 5 --connections 10]).
// A server process with 100 stored scenarios and 100 stored models (each with a
// 200-episode run history) answers autocannon from this process: GET /api/scenarios
// and GET /api/models/:name (rotating over the 100 names), first with training idle,
// then while two training runs keep both workers busy. Prints a table and writes
// bench/results/api.json. The server runs in its own process so the load generator
// does not share its event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' }
  }
});

const ITEMS = 100;
const HISTORY = 200;

async function serve(dataDir: string): Promise<void> {
  const { buildApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config.js');
  const { normalizeScenarioConfig, train } = await import('../src/hrl/index.js');
  const app = await buildApp(loadConfig({}, { dataDir, workers: 2, logLevel: 'warn', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
  const now = () => new Date().toISOString();
  // Long episodes so the training runs last the whole measurement.
  const config = normalizeScenarioConfig({ environment: { income: 3200, max_months: 120 } });
  const { model, history } = await train(config, { episodes: 2, seed: 1 });
  const rows = Array.from({ length: HISTORY }, (_, i) => ({ ...history[i % history.length]!, episode: i + 1, episode_reward: Math.sin(i) * 10 }));
  for (let i = 0; i < ITEMS; i++) {
    const name = `scenario-${String(i).padStart(3, '0')}`;
    await app.storage.scenarios.insert({ name, description: `Bench scenario ${i}`, config, created_at: now(), updated_at: now() });
    const runId = `run_bench_${i}`;
    await app.storage.runs.create({
      run_id: runId, scenario_name: name, status: 'completed', num_episodes: HISTORY, episodes_completed: HISTORY, seed: i,
      created_at: now(), started_at: now(), finished_at: now(), model_name: `model-${i}`, latest_progress: null, error: null,
      save_interval: 100, eval_episodes: 0, requested_model_name: null, config
    });
    await app.storage.episodes.append(runId, rows);
    await app.storage.models.insert({
      name: `model-${String(i).padStart(3, '0')}`, scenario_name: name, run_id: runId, created_at: now(), episodes: HISTORY,
      final_metrics: { avg_reward: 1, avg_duration: 120, avg_cash: 1000, avg_invested: 500, avg_portfolio: 600, stability: 1, goal_adherence: 0.1, max_reward: 2, final_reward: 1, eval_episodes: 0, eval_reward_mean: null, eval_total_wealth_mean: null },
      model
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  console.log(JSON.stringify({ port }));
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

interface Measurement {
  route: string;
  phase: 'idle' | 'training';
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non_2xx: number;
}

async function measure(base: string, route: string, phase: Measurement['phase']): Promise<Measurement> {
  let i = 0;
  const paths = route === '/api/models/:name' ? Array.from({ length: ITEMS }, (_, k) => `/api/models/model-${String(k).padStart(3, '0')}`) : ['/api/scenarios'];
  const result = await autocannon({
    url: base,
    connections: Number(args.connections),
    duration: Number(args.duration),
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }]
  });
  return {
    route,
    phase,
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hrl-bench-api-'));
  const self = fileURLToPath(import.meta.url);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', self, '--serve', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let port: unknown;
        try {
          port = (JSON.parse(line) as { port?: unknown }).port;
        } catch {
          // not a JSON line
        }
        if (typeof port === 'number') resolve(port);
        else process.stderr.write(`${line}\n`);
      });
    });
    const base = `http://127.0.0.1:${port}`;
    const routes = ['/api/scenarios', '/api/models/:name'];
    const results: Measurement[] = [];

    // Warm-up: JIT, the model-detail cache, connection setup.
    for (const route of routes) await autocannon({ url: base + (route === '/api/scenarios' ? route : '/api/models/model-000'), connections: 4, duration: 1 });
    for (const route of routes) results.push(await measure(base, route, 'idle'));

    const post = async (url: string, body: unknown) => {
      const res = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { data: { run_id: string; status: string } } };
    };
    const runs = [];
    for (const scenario of ['scenario-000', 'scenario-001']) {
      const res = await post('/api/training/start', { scenario_name: scenario, num_episodes: 1_000_000, seed: 1, eval_episodes: 0 });
      if (res.status !== 202 || res.body.data.status !== 'started') throw new Error(`training did not start: ${JSON.stringify(res.body)}`);
      runs.push(res.body.data.run_id);
    }
    // Let both workers boot and reach full speed before measuring.
    for (;;) {
      const status = await Promise.all(runs.map(async (id) => ((await (await fetch(`${base}/api/training/runs/${id}`)).json()) as { episodes_completed: number; status: string })));
      if (status.every((s) => s.status === 'running' && s.episodes_completed >= 2)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const route of routes) results.push(await measure(base, route, 'training'));
    for (const run_id of runs) await post('/api/training/stop', { run_id });

    const rows = routes.map((route) => {
      const idle = results.find((r) => r.route === route && r.phase === 'idle')!;
      const busy = results.find((r) => r.route === route && r.phase === 'training')!;
      return { route, idle, training: busy, p99_ratio: Math.round((busy.p99_ms / Math.max(idle.p99_ms, 1)) * 100) / 100 };
    });
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    console.log(line(['route', 'idle req/s', 'idle p99 ms', 'training req/s', 'training p99 ms', 'p99 ratio']));
    console.log(line(['---', '---:', '---:', '---:', '---:', '---:']));
    for (const r of rows) {
      console.log(line([`GET ${r.route}`, String(r.idle.requests_per_s), String(r.idle.p99_ms), String(r.training.requests_per_s), String(r.training.p99_ms), `${r.p99_ratio}×`]));
    }
    const errors = results.reduce((n, r) => n + r.errors + r.non_2xx, 0);
    if (errors > 0) console.log(`WARNING: ${errors} errors or non-2xx answers`);
    const out = {
      date: new Date().toISOString(),
      // Other work on the machine skews both phases; the 1-minute load average says how much there was.
      machine: { cpus: os.availableParallelism(), node: process.version, loadavg_1m_at_end: Math.round(os.loadavg()[0]! * 100) / 100 },
      settings: { items: ITEMS, history_episodes: HISTORY, connections: Number(args.connections), duration_s: Number(args.duration), workers: 2, training_runs: 2 },
      target: 'p99 under training within 2x of idle',
      rows
    };
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'api.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${path.join('bench', 'results', 'api.json')}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (args.serve) await serve(args.serve);
else await main();
