// Learning benchmark (npm run bench:learning [-- --json] [--jobs N] [--only a,b] [--cache DIR] [--baseline-ref REF] [--no-speed]).
// For every scenario (the three examples and the fixtures in test/fixtures/scenarios), in its own
// child process so CPU time is measured per scenario:
//   1. train the HRL agent with the default (training.auto) settings and episode count, seed 1;
//   2. baselines on BASELINE_EPISODES held-out episodes: the learned deterministic policy vs the best
//      constant allocation and the best rule (chosen on disjoint selection episodes), paired 95% CIs;
//   3. ablations on the same held-out episodes: a flat PPO (the executor alone, same settings, same
//      networks, trained for the same number of environment months) and the HRL agent with its goals
//      frozen at their mean (measured on selection episodes);
//   4. determinism (a short run twice, bit-identical) and finiteness of every figure.
// Then the speed guard: steps per CPU-second of training of this build and of the previous build
// (src/hrl of --baseline-ref, extracted with git archive), interleaved in one run.
// Results: bench/results/learning.json and a table on stdout.
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { HrlTrainer, compareWithBaselines, heldOutSeed, parseScenarioYaml, pairedDifference, BASELINE_EPISODES, type ScenarioConfig } from '../src/hrl/index.js';
import { evaluateModel, meanGoal, SELECTION_EPISODES } from '../src/hrl/baselines.js';
import { NEUTRAL_GOAL } from '../src/hrl/agent.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TRAIN_SEED = 1;
/** The build before the learning rework (model format 1), the speed guard's reference. */
const DEFAULT_BASELINE_REF = 'dc62a7c';

function scenarioFiles(): string[] {
  const dirs = [join(ROOT, 'examples/scenarios'), join(ROOT, 'test/fixtures/scenarios')];
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(d, f)),
  );
}

const cpuSeconds = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;

function allFiniteDeep(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(allFiniteDeep);
  if (v && typeof v === 'object') return Object.values(v).every(allFiniteDeep);
  return true;
}

interface ScenarioResult {
  scenario: string;
  months: number;
  training_settings: HrlTrainer['settings'];
  train: { episodes: number; steps: number; cpu_s: number; wall_s: number };
  baselines: ReturnType<typeof compareWithBaselines>['summary'] & { cpu_s: number; cost_vs_training: number };
  flat: { episodes: number; steps: number; cpu_s: number; mean: number; diff_hrl_minus_flat: { mean: number; ci95: [number, number] } };
  frozen_goals: { goal: number[]; mean: number; diff_hrl_minus_frozen: { mean: number; ci95: [number, number] } };
  deterministic: boolean;
  finite: boolean;
}

/** One scenario, in a child process. */
function runScenario(file: string): ScenarioResult {
  const config: ScenarioConfig = parseScenarioYaml(readFileSync(file, 'utf8')).config;
  const months = config.environment.max_months;

  const trainer = new HrlTrainer(config, { seed: TRAIN_SEED });
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  let steps = 0;
  for (let i = 0; i < trainer.settings.num_episodes; i++) steps += trainer.trainEpisode().episode_length;
  const trainCpu = cpuSeconds(process.cpuUsage(c0));
  const trainWall = (performance.now() - w0) / 1000;
  const model = trainer.toModel();

  const evalSeed = heldOutSeed(TRAIN_SEED);
  const b0 = process.cpuUsage();
  const cmp = compareWithBaselines(model, config, { episodes: BASELINE_EPISODES, seed: evalSeed });
  const baseCpu = cpuSeconds(process.cpuUsage(b0));

  // Flat PPO: same settings and networks, trained for (at least) the same environment months.
  const flat = new HrlTrainer(config, { seed: TRAIN_SEED, mode: 'flat' });
  const f0 = process.cpuUsage();
  let flatSteps = 0;
  let flatEpisodes = 0;
  while (flatSteps < steps) {
    flatSteps += flat.trainEpisode().episode_length;
    flatEpisodes++;
  }
  const flatCpu = cpuSeconds(process.cpuUsage(f0));
  // Evaluated on the neutral plan it trained on: a model carries an (untrained) strategist too, whose
  // goals the flat executor never saw (format 2's figures evaluated flat with them: balanced 507 vs 653).
  const flatRewards = evaluateModel(flat.toModel(), config, evalSeed, 0, BASELINE_EPISODES, NEUTRAL_GOAL);

  // Goals frozen at their mean over the selection episodes (disjoint from the evaluation ones).
  const goal = meanGoal(model, config, evalSeed, BASELINE_EPISODES, SELECTION_EPISODES);
  const frozen = evaluateModel(model, config, evalSeed, 0, BASELINE_EPISODES, goal);

  // Determinism: a short run twice gives the same model, bit for bit.
  const short = (): string => {
    const t = new HrlTrainer(config, { seed: 7, episodes: 50 });
    for (let i = 0; i < 50; i++) t.trainEpisode();
    return JSON.stringify(t.toModel());
  };
  const deterministic = short() === short();

  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const result: ScenarioResult = {
    scenario: basename(file, '.yaml'),
    months,
    training_settings: trainer.settings,
    train: { episodes: trainer.settings.num_episodes, steps, cpu_s: trainCpu, wall_s: trainWall },
    baselines: { ...cmp.summary, cpu_s: baseCpu, cost_vs_training: baseCpu / trainCpu },
    flat: { episodes: flatEpisodes, steps: flatSteps, cpu_s: flatCpu, mean: mean(flatRewards), diff_hrl_minus_flat: pairedDifference(cmp.learned, flatRewards) },
    frozen_goals: { goal, mean: mean(frozen), diff_hrl_minus_frozen: pairedDifference(cmp.learned, frozen) },
    deterministic,
    finite: allFiniteDeep(model) && allFiniteDeep(cmp),
  };
  result.finite &&= allFiniteDeep(result);
  return result;
}

interface SpeedTrainer {
  trainEpisode(): { episode_length: number };
}
type TrainerCtor = new (config: ScenarioConfig, opts: { seed: number }) => SpeedTrainer;

/** Steps per CPU-second of training (every PPO update), median of interleaved repetitions of both builds. */
async function speedGuard(ref: string, reps: number, repMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'hrl-prev-build-'));
  let prev: { HrlTrainer: TrainerCtor; parseScenarioYaml: typeof parseScenarioYaml };
  try {
    const tar = execFileSync('git', ['-C', ROOT, 'archive', ref, 'src/hrl'], { maxBuffer: 64 << 20 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    prev = await import(pathToFileURL(join(dir, 'src/hrl/index.ts')).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const rows = [];
  for (const name of ['balanced', 'bologna_coppia']) {
    const text = readFileSync(join(ROOT, 'examples/scenarios', `${name}.yaml`), 'utf8');
    const builds: [string, SpeedTrainer][] = [
      ['previous', new prev.HrlTrainer(prev.parseScenarioYaml(text).config, { seed: TRAIN_SEED })],
      ['current', new HrlTrainer(parseScenarioYaml(text).config, { seed: TRAIN_SEED })],
    ];
    const samples: Record<string, number[]> = { previous: [], current: [] };
    for (const [, t] of builds) {
      const warm = performance.now();
      while (performance.now() - warm < 1000) t.trainEpisode();
    }
    // Interleaved, so both builds see the same machine load.
    for (let r = 0; r < reps; r++) {
      for (const [label, t] of builds) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        let steps = 0;
        while (performance.now() - t0 < repMs) steps += t.trainEpisode().episode_length;
        samples[label].push(steps / cpuSeconds(process.cpuUsage(c0)));
      }
    }
    const prevMedian = median(samples.previous);
    const curMedian = median(samples.current);
    rows.push({ scenario: name, previous_steps_per_cpu_s: prevMedian, current_steps_per_cpu_s: curMedian, ratio: curMedian / prevMedian, samples });
  }
  return { baseline_ref: ref, reps, rep_ms: repMs, rows };
}

const fmt = (x: number, d = 1): string => (x >= 0 ? '+' : '') + x.toFixed(d);
const ci = (d: { mean: number; ci95: [number, number] }): string => `${fmt(d.mean)} [${fmt(d.ci95[0])}, ${fmt(d.ci95[1])}]`;

function verdicts(r: ScenarioResult) {
  const tol = (m: number): number => -0.01 * Math.max(Math.abs(m), 1);
  const b = r.baselines;
  return {
    not_worse_than_constant: b.diff_constant.ci95[0] > tol(b.best_constant.mean),
    not_worse_than_rule: b.diff_rule.ci95[0] > tol(b.best_rule.mean),
    strictly_better_than_both: b.diff_constant.ci95[0] > 0 && b.diff_rule.ci95[0] > 0,
    strictly_required: r.months >= 36,
    hrl_not_worse_than_flat: r.flat.diff_hrl_minus_flat.ci95[0] >= tol(r.flat.mean),
    hrl_strictly_better_than_flat: r.flat.diff_hrl_minus_flat.ci95[0] > 0,
    freezing_goals_costs: r.frozen_goals.diff_hrl_minus_frozen.ci95[0] > 0,
  };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      jobs: { type: 'string', default: '2' },
      only: { type: 'string' },
      'baseline-ref': { type: 'string', default: DEFAULT_BASELINE_REF },
      'no-speed': { type: 'boolean', default: false },
      child: { type: 'string' },
      cache: { type: 'string' },
    },
  });
  if (args.child) {
    // --cache DIR: a scenario's result is kept in DIR/<scenario>.json and reused by a later run
    // (so an interrupted run, or several runs sharing the scenarios, do not train twice).
    const cached = args.cache ? join(args.cache, `${basename(args.child, '.yaml')}.json`) : undefined;
    let result: ScenarioResult | undefined;
    if (cached) {
      try {
        result = JSON.parse(readFileSync(cached, 'utf8')) as ScenarioResult;
      } catch {
        result = undefined;
      }
    }
    if (!result) {
      result = runScenario(args.child);
      if (cached) {
        mkdirSync(args.cache!, { recursive: true });
        writeFileSync(cached, JSON.stringify(result));
      }
    }
    process.send!(result);
    return;
  }
  const log = (s: string): void => {
    if (!args.json) process.stdout.write(s + '\n');
  };
  const only = args.only?.split(',');
  const files = scenarioFiles().filter((f) => !only || only.includes(basename(f, '.yaml')));
  const jobs = Math.max(1, Math.min(8, Number(args.jobs) || 1));
  const results: ScenarioResult[] = [];
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const f = file;
      const r = await new Promise<ScenarioResult>((resolve, reject) => {
        const child = fork(fileURLToPath(import.meta.url), ['--child', f, ...(args.cache ? ['--cache', args.cache] : [])], { execArgv: ['--import', 'tsx'] });
        child.once('message', (m) => resolve(m as ScenarioResult));
        child.once('exit', (code) => (code ? reject(new Error(`${f}: child exited with ${code}`)) : undefined));
      });
      results.push(r);
      log(`done ${r.scenario}: ${r.train.episodes} episodes, ${r.train.cpu_s.toFixed(1)} CPU-s`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  results.sort((a, b) => files.indexOf(files.find((f) => basename(f, '.yaml') === a.scenario)!) - files.indexOf(files.find((f) => basename(f, '.yaml') === b.scenario)!));

  const speed = args['no-speed'] ? null : await speedGuard(args['baseline-ref'], 5, 2000);
  const rows = results.map((r) => ({ ...r, verdicts: verdicts(r) }));
  const out = { generated_at: new Date().toISOString(), train_seed: TRAIN_SEED, evaluation_episodes: BASELINE_EPISODES, selection_episodes: SELECTION_EPISODES, scenarios: rows, speed };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/learning.json'), JSON.stringify(out, null, 2) + '\n');
  if (args.json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  log('');
  log('| scenario (months) | episodes | train CPU-s | learned | best constant | best rule | learned − constant | learned − rule | HRL − flat | HRL − frozen goals | baselines cost |');
  log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const b = r.baselines;
    const params = Object.entries(b.best_rule.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    log(
      `| ${r.scenario} (${r.months}) | ${r.train.episodes} | ${r.train.cpu_s.toFixed(1)} | ${b.learned_mean.toFixed(1)} | ${b.best_constant.mean.toFixed(1)} [${b.best_constant.allocation.map((x) => x.toFixed(2)).join(',')}] | ${b.best_rule.mean.toFixed(1)} ${b.best_rule.name}${params ? `(${params})` : ''} | ${ci(b.diff_constant)} | ${ci(b.diff_rule)} | ${ci(r.flat.diff_hrl_minus_flat)} | ${ci(r.frozen_goals.diff_hrl_minus_frozen)} | ${(100 * b.cost_vs_training).toFixed(1)} % (${b.cpu_s.toFixed(2)} s) |`,
    );
  }
  log('');
  for (const r of rows) {
    const v = r.verdicts;
    const misses = [
      !v.not_worse_than_constant && 'measurably worse than the best constant',
      !v.not_worse_than_rule && 'measurably worse than the best rule',
      v.strictly_required && !v.strictly_better_than_both && 'not strictly better than both (≥ 36 months)',
      !v.hrl_not_worse_than_flat && 'HRL measurably worse than flat',
      r.months >= 120 && !v.hrl_strictly_better_than_flat && 'HRL not strictly better than flat (≥ 120 months)',
      r.months >= 120 && !v.freezing_goals_costs && 'freezing goals costs nothing measurable (≥ 120 months)',
      !r.deterministic && 'NOT deterministic',
      !r.finite && 'non-finite figure',
    ].filter(Boolean);
    log(`${r.scenario}: ${misses.length ? 'MISSES ' + misses.join('; ') : 'all targets met'}`);
  }
  if (speed) {
    log('');
    log(`speed guard (steps per CPU-second with learning, median of ${speed.reps} interleaved ${speed.rep_ms} ms repetitions; previous build = ${speed.baseline_ref}):`);
    for (const s of speed.rows) log(`  ${s.scenario.padEnd(15)} previous ${s.previous_steps_per_cpu_s.toFixed(0)}  current ${s.current_steps_per_cpu_s.toFixed(0)}  ratio ${(100 * s.ratio).toFixed(1)} %`);
  }
  log('\nwritten to bench/results/learning.json');
}

await main();
