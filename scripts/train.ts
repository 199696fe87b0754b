// Trains the HRL agent on a scenario file from the command line.
//   npm run train -- --scenario <file.yaml> --episodes N --seed S [--out model.json] [--json]
// Progress: a bar on a TTY, plain lines otherwise; --json prints one JSON line per progress tick
// (the training_progress fields of docs/protocol.md) and a final JSON line.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseScenarioYaml, resolveTrainingSettings, train, ScenarioConfigError, type EpisodeMetrics } from '../src/hrl/index.js';

const USAGE = 'usage: npm run train -- --scenario <file.yaml> [--episodes N] [--seed S] [--out model.json] [--json]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer (got ${v})\n${USAGE}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      scenario: { type: 'string' },
      episodes: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!args.scenario) fail(`--scenario is required\n${USAGE}`);

let text: string;
try {
  text = readFileSync(args.scenario, 'utf8');
} catch (err) {
  fail(`cannot read ${args.scenario}: ${(err as Error).message}`);
}
let config;
try {
  config = parseScenarioYaml(text).config;
} catch (err) {
  if (err instanceof ScenarioConfigError) fail(`${args.scenario}: ${err.message}`);
  throw err;
}
// Without --episodes: the auto budget (training.auto, the default) or the file's num_episodes (auto: false).
const settings = resolveTrainingSettings(config, { episodes: intArg('episodes', args.episodes) });
const episodes = settings.num_episodes;
const seed = intArg('seed', args.seed) ?? 0;
const json = args.json;
const tty = !json && process.stderr.isTTY === true;

const window: EpisodeMetrics[] = [];
const start = performance.now();
let steps = 0;
let lastTick = -Infinity;

function rolling(): Record<string, number> {
  const n = window.length;
  const mean = (f: (m: EpisodeMetrics) => number): number => window.reduce((s, m) => s + f(m), 0) / n;
  return {
    avg_reward: mean((m) => m.episode_reward),
    avg_duration: mean((m) => m.episode_length),
    avg_cash: mean((m) => m.final_cash),
    avg_invested: mean((m) => m.total_invested),
    stability: mean((m) => m.cash_stability_index),
    goal_adherence: mean((m) => m.goal_adherence),
  };
}

function tick(m: EpisodeMetrics): void {
  const elapsed = (performance.now() - start) / 1000;
  const r = rolling();
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'progress', episode: m.episode, total_episodes: episodes, ...r, elapsed_time: elapsed }) + '\n');
  } else if (tty) {
    const width = 30;
    const done = Math.round((width * m.episode) / episodes);
    const bar = '█'.repeat(done) + '░'.repeat(width - done);
    process.stderr.write(`\r${bar} ${m.episode}/${episodes}  reward ${r.avg_reward.toFixed(1)}  months ${r.avg_duration.toFixed(1)}  cash ${r.avg_cash.toFixed(0)}  ${(steps / Math.max(elapsed, 1e-9)).toFixed(0)} steps/s `);
  } else {
    process.stdout.write(`episode ${m.episode}/${episodes} avg_reward ${r.avg_reward.toFixed(2)} avg_duration ${r.avg_duration.toFixed(1)} avg_cash ${r.avg_cash.toFixed(0)} stability ${r.stability.toFixed(3)} elapsed ${elapsed.toFixed(1)}s\n`);
  }
}

const ac = new AbortController();
process.once('SIGINT', () => ac.abort());
const tickEveryMs = json || tty ? 100 : 1000;

try {
  const result = await train(config, {
    episodes: args.episodes === undefined ? undefined : episodes,
    seed,
    signal: ac.signal,
    yieldEvery: 50,
    onEpisode: (m) => {
      steps += m.episode_length;
      window.push(m);
      if (window.length > 10) window.shift();
      const now = performance.now();
      if (m.episode === 1 || m.episode === episodes || now - lastTick >= tickEveryMs) {
        lastTick = now;
        tick(m);
      }
    },
  });
  const last = result.history[result.history.length - 1];
  if (last && last.episode !== episodes) tick(last); // the stop tick
  if (tty) process.stderr.write('\n');
  if (args.out) writeFileSync(args.out, JSON.stringify(result.model));
  const duration = (performance.now() - start) / 1000;
  const summary = {
    type: result.stopped ? 'stopped' : 'completed',
    episodes_completed: result.episodesCompleted,
    total_episodes: episodes,
    seed,
    training_settings: result.settings,
    duration_s: duration,
    steps_per_s: steps / Math.max(duration, 1e-9),
    final_metrics: last ?? null,
    rolling: window.length ? rolling() : null,
    model: args.out ?? null,
  };
  if (json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    process.stdout.write(
      `${summary.type}: ${summary.episodes_completed}/${episodes} episodes in ${duration.toFixed(1)}s (${summary.steps_per_s.toFixed(0)} steps/s)` +
        (summary.rolling ? `, last-10 mean reward ${summary.rolling.avg_reward.toFixed(2)}` : '') +
        (args.out ? `, model written to ${args.out}` : '') +
        '\n',
    );
  }
} catch (err) {
  if (tty) process.stderr.write('\n');
  const e = err as Error;
  if (json) process.stdout.write(JSON.stringify({ type: 'error', name: e.name, message: e.message }) + '\n');
  fail(`${e.name}: ${e.message}`, 1);
}
