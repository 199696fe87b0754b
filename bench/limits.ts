// Worst accepted inputs, timed, with the event loop watched (npm run bench:limits
// [-- --episodes 1000 --months 120 --history 5000 --repeat 3 --yaml-only]); run it nice'd on a
// shared machine, and read the loop figures beside the load average printed with them: on a
// loaded machine the loop waits for a CPU, not for the service.
//
// A real server (in this process, so perf_hooks.monitorEventLoopDelay sees its loop) gets:
//   0. nothing, as a control: the loop delay the machine's load alone causes;
//   1. YAML imports: the largest accepted scenario file and the worst refused one (a full
//      body of keys, the old quadratic case), each --yaml-repeat times;
//   2. the largest accepted simulation (num_episodes at its contract maximum, max_months
//      at its contract maximum if there is one, else --months);
//   3. HTML and PDF reports of that simulation, for a model with a --history-episode run;
//   4. the per-month series alone at three sizes, to show the cost is linear in months × episodes.
// For each: duration and this process's CPU time (medians of --repeat), event-loop delay
// p99 / max while it runs, the slowest /health answer polled meanwhile, the load average. Prints a table and writes
// bench/results/limits.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { MAX_SIMULATION_EPISODE_MONTHS, MAX_SIMULATION_EPISODES } from '../src/contracts/simulation.js';
import { EnvironmentConfigSchema, normalizeScenarioConfig, train } from '../src/hrl/index.js';
import { YAML_LIMITS } from '../src/scenarios/yaml-import.js';

const { values: args } = parseArgs({
  options: {
    episodes: { type: 'string', default: String(MAX_SIMULATION_EPISODES) },
    months: { type: 'string' },
    history: { type: 'string', default: '5000' },
    repeat: { type: 'string', default: '3' },
    'yaml-repeat': { type: 'string', default: '20' },
    /** Only step 1, printed and not written to bench/results/. */
    'yaml-only': { type: 'boolean', default: false }
  }
});
const contractMonths = (EnvironmentConfigSchema.properties.max_months as { maximum?: number }).maximum;
const months = Number(args.months ?? contractMonths ?? 120);
// The largest accepted simulation: episodes × months is bounded too.
const episodes = Math.min(Number(args.episodes), Math.floor(MAX_SIMULATION_EPISODE_MONTHS / months));
const historyEpisodes = Number(args.history);
const repeat = Number(args.repeat);
const yamlRepeat = Number(args['yaml-repeat']);

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hrl-bench-limits-'));
const app = await buildApp(loadConfig({}, { dataDir, workers: 1, logLevel: 'warn', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

interface Figure {
  case: string;
  status: number;
  ms_median: number;
  /** CPU time of this process per operation (median): what the loop really spent, next to what it waited. */
  cpu_ms_median: number;
  loop_p99_ms: number;
  loop_max_ms: number;
  health_max_ms: number;
  /** 1-minute load average when the case ended (os.loadavg). */
  load_1m: number;
  detail: string;
}
const figures: Figure[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `op` `times` times while watching the loop and polling /health; records one row. */
async function measure(name: string, times: number, op: () => Promise<{ status: number; detail: string }>): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let running = true;
  let healthMax = 0;
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      await fetch(`${base}/health`);
      healthMax = Math.max(healthMax, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const durations: number[] = [];
  const cpu: number[] = [];
  let last = { status: 0, detail: '' };
  loop.enable();
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    last = await op();
    durations.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  loop.disable();
  running = false;
  await poll;
  figures.push({
    case: name,
    status: last.status,
    ms_median: Math.round(median(durations)),
    cpu_ms_median: Math.round(median(cpu) * 10) / 10,
    loop_p99_ms: Math.round(loop.percentile(99) / 1e5) / 10,
    loop_max_ms: Math.round(loop.max / 1e5) / 10,
    health_max_ms: Math.round(healthMax),
    load_1m: Math.round(os.loadavg()[0]! * 10) / 10,
    detail: last.detail
  });
  console.error(`${name}: ${JSON.stringify(figures[figures.length - 1])}`);
}

const post = async (url: string, body: string, contentType = 'application/json') => {
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, text: await res.text() };
};

try {
  // 0. The control: the same watch over a loop with nothing to do but answer /health. On a
  // loaded machine its delay is the wait for a CPU, which every row below includes too.
  await measure('idle server (control)', yamlRepeat, async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { status: 0, detail: '100 ms of nothing' };
  });

  // 1. YAML import.
  const fields = Object.entries(normalizeScenarioConfig({}).environment).map(([k, v]) => `  ${k}: ${v} # ${'c'.repeat(40)}`);
  let accepted = `description: "${'d'.repeat(480)}"\nenvironment:\n${fields.join('\n')}\n`;
  // Comment lines up to just under the token cap (3 tokens each: comment, newline, indent).
  while (accepted.length < YAML_LIMITS.bytes - 200 && accepted.split('\n').length * 3 < YAML_LIMITS.tokens - 120) accepted += `# ${'x'.repeat(150)}\n`;
  let n = 0;
  await measure('YAML import, largest accepted file', yamlRepeat, async () => {
    const r = await post(`/api/scenarios/import?name=big-${n++}`, accepted, 'application/yaml');
    return { status: r.status, detail: `${accepted.length} bytes` };
  });
  const keys = Array.from({ length: 8000 }, (_, i) => `k${i}: ${i}`).join('\n').slice(0, YAML_LIMITS.bytes - 10);
  await measure('YAML import, a full body of keys (refused)', yamlRepeat, async () => {
    const r = await post('/api/scenarios/import?name=keys', keys, 'application/yaml');
    return { status: r.status, detail: `${keys.length} bytes` };
  });

  if (!args['yaml-only']) {
    // 2. The largest accepted simulation, of a model with a long run history.
    const config = normalizeScenarioConfig({ environment: { income: 3200, max_months: months } });
    const now = new Date().toISOString();
    await app.storage.scenarios.insert({ name: 'bench-limits', description: 'largest accepted', config, created_at: now, updated_at: now });
    const { model, history } = await train(config, { episodes: 2, seed: 1 });
    await app.storage.runs.create({
      run_id: 'run_bench_limits', scenario_name: 'bench-limits', status: 'completed', num_episodes: historyEpisodes, episodes_completed: historyEpisodes, seed: 1,
      created_at: now, started_at: now, finished_at: now, model_name: 'bench-limits-model', latest_progress: null, error: null,
      save_interval: 100, eval_episodes: 0, requested_model_name: null, config
    });
    await app.storage.episodes.append('run_bench_limits', Array.from({ length: historyEpisodes }, (_, i) => ({ ...history[i % history.length]!, episode: i + 1, episode_reward: Math.sin(i / 50) * 10 + i / 100 })));
    await app.storage.models.insert({ name: 'bench-limits-model', scenario_name: 'bench-limits', run_id: 'run_bench_limits', created_at: now, episodes: historyEpisodes, final_metrics: null, model });
    let simulationId = '';
    await measure(`simulation, ${episodes} episodes × ${months} months`, 1, async () => {
      const r = await post('/api/simulation/run', JSON.stringify({ model_name: 'bench-limits-model', num_episodes: episodes, seed: 3 }));
      if (r.status === 201) simulationId = (JSON.parse(r.text) as { simulation_id: string }).simulation_id;
      return { status: r.status, detail: `${(r.text.length / 1e6).toFixed(1)} MB response` };
    });
    if (!simulationId) throw new Error('the simulation failed');

    // 3. Reports of it.
    for (const type of ['html', 'pdf'] as const) {
      await measure(`${type.toUpperCase()} report of that simulation (${historyEpisodes}-episode training history)`, repeat, async () => {
        const r = await post('/api/reports/generate', JSON.stringify({ simulation_id: simulationId, report_type: type }));
        return { status: r.status, detail: r.status === 201 ? `${(JSON.parse(r.text) as { file_size_kb: number }).file_size_kb} KB file` : r.text.slice(0, 120) };
      });
    }
  }
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

if (args['yaml-only']) {
  for (const f of figures) console.log(`| ${f.case} | ${f.status} | ${f.ms_median} ms (CPU ${f.cpu_ms_median} ms) | loop p99 ${f.loop_p99_ms} ms | max ${f.loop_max_ms} ms | load ${f.load_1m} on ${os.cpus().length} CPUs |`);
  process.exit(0);
}

// 4. Report data cost against size: doubling months or episodes should about double it.
const { summariseMonths } = await import('../src/reports/monthly-series.js');
const { largeSeries } = await import('../test/reports/simulation-fixture.js');
const scaling: Array<{ episodes: number; months: number; ms_median: number }> = [];
for (const [e, m] of [[500, 120], [1000, 120], [1000, 240]] as const) {
  const eps = largeSeries(e, m).map((x) => ({ cash_history: x.cash, portfolio_history: x.portfolio!, invested_history: x.invested!, actions: x.actions! }));
  summariseMonths(eps); // warm-up: the first call also compiles
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    summariseMonths(eps);
    times.push(performance.now() - t0);
  }
  scaling.push({ episodes: e, months: m, ms_median: Math.round(median(times) * 10) / 10 });
}

const header = '| case | status | duration (median) | CPU (median) | loop delay p99 | loop delay max | slowest /health | load (1 min) | detail |';
console.log(`\n${header}\n|---|---|---|---|---|---|---|---|---|`);
for (const f of figures) console.log(`| ${f.case} | ${f.status} | ${f.ms_median} ms | ${f.cpu_ms_median} ms | ${f.loop_p99_ms} ms | ${f.loop_max_ms} ms | ${f.health_max_ms} ms | ${f.load_1m} | ${f.detail} |`);
console.log('\n| episodes × months | per-month series (median of 5) | ratio to 500 × 120 |\n|---|---|---|');
for (const x of scaling) console.log(`| ${x.episodes} × ${x.months} | ${x.ms_median} ms | ${(x.ms_median / scaling[0]!.ms_median).toFixed(2)} |`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/limits.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, episodes, months, history: historyEpisodes, repeat, figures, scaling }, null, 2)}\n`
);
