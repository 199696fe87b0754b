// Runs a trained model deterministically on a scenario.
//   npm run simulate -- --model model.json [--scenario <file.yaml>] [--episodes N] [--seed S] [--json]
// Without --scenario the model's own training config is used.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel, parseScenarioYaml, simulate, ScenarioConfigError, ModelFormatError } from '../src/hrl/index.js';

const USAGE = 'usage: npm run simulate -- --model model.json [--scenario <file.yaml>] [--episodes N] [--seed S] [--json]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      model: { type: 'string' },
      scenario: { type: 'string' },
      episodes: { type: 'string', default: '10' },
      seed: { type: 'string', default: '0' },
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
if (!args.model) fail(`--model is required\n${USAGE}`);
const episodes = Number(args.episodes);
const seed = Number(args.seed);
if (!Number.isInteger(episodes) || episodes < 1) fail(`--episodes must be a positive integer (got ${args.episodes})`);
if (!Number.isInteger(seed)) fail(`--seed must be an integer (got ${args.seed})`);

let model;
try {
  model = loadModel(JSON.parse(readFileSync(args.model, 'utf8')));
} catch (err) {
  if (err instanceof ModelFormatError || err instanceof SyntaxError) fail(`${args.model}: ${(err as Error).message}`);
  fail(`cannot read ${args.model}: ${(err as Error).message}`);
}
let config = model.config;
if (args.scenario) {
  try {
    config = parseScenarioYaml(readFileSync(args.scenario, 'utf8')).config;
  } catch (err) {
    if (err instanceof ScenarioConfigError) fail(`${args.scenario}: ${err.message}`);
    fail(`cannot read ${args.scenario}: ${(err as Error).message}`);
  }
}

const out = simulate(model, config, { episodes, seed });
if (args.json) {
  process.stdout.write(JSON.stringify({ num_episodes: episodes, seed, ...out }) + '\n');
} else {
  const a = out.aggregates;
  const row = (k: string, m: number, s: number): string => `${k.padEnd(18)} ${m.toFixed(2).padStart(12)} ± ${s.toFixed(2)}`;
  process.stdout.write(
    [
      `${episodes} episodes, seed ${seed}`,
      row('episode_reward', a.episode_reward_mean, a.episode_reward_std),
      row('duration', a.duration_mean, a.duration_std),
      row('final_cash', a.final_cash_mean, a.final_cash_std),
      row('final_invested', a.final_invested_mean, a.final_invested_std),
      row('final_portfolio', a.final_portfolio_mean, a.final_portfolio_std),
      row('total_wealth', a.total_wealth_mean, a.total_wealth_std),
      row('investment_gains', a.investment_gains_mean, a.investment_gains_std),
      `allocation         invest ${a.avg_invest_pct.toFixed(1)}%  save ${a.avg_save_pct.toFixed(1)}%  consume ${a.avg_consume_pct.toFixed(1)}%`,
    ].join('\n') + '\n',
  );
}
