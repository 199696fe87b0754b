// Scores a trained model against the best constant allocation and the best rule of thumb.
//   npm run evaluate -- --model model.json [--scenario <file.yaml>] [--episodes N] [--seed S] [--json]
// Evaluation episodes are episodes 0…N−1 of seed S (exactly what `npm run simulate` runs for the same
// model, scenario, episodes and seed); the best constant and the best rule are chosen on the next
// SELECTION_EPISODES episodes of the same seed, disjoint from the evaluation ones.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compareWithBaselines, loadModel, parseScenarioYaml, ModelFormatError, ScenarioConfigError } from '../src/hrl/index.js';
import { SELECTION_EPISODES } from '../src/hrl/baselines.js';

const USAGE = 'usage: npm run evaluate -- --model model.json [--scenario <file.yaml>] [--episodes N (≥ 2, default 200)] [--seed S] [--json]';
const MAX_EPISODES = 100_000;

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
      episodes: { type: 'string', default: '200' },
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
if (!Number.isInteger(episodes) || episodes < 2 || episodes > MAX_EPISODES) fail(`--episodes must be an integer in [2, ${MAX_EPISODES}] (got ${args.episodes})`);
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

const r = compareWithBaselines(model, config, { episodes, seed });
const s = r.summary;
if (args.json) {
  process.stdout.write(
    JSON.stringify({
      episodes,
      seed,
      selection_episodes: SELECTION_EPISODES,
      learned: r.learned,
      learned_mean: s.learned_mean,
      best_constant: { ...r.best_constant, mean: s.best_constant.mean },
      best_rule: { ...r.best_rule, mean: s.best_rule.mean },
      diff_constant: s.diff_constant,
      diff_rule: s.diff_rule,
    }) + '\n',
  );
} else {
  const ci = (d: { mean: number; ci95: [number, number] }): string => `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(2)}  95% CI [${d.ci95[0].toFixed(2)}, ${d.ci95[1].toFixed(2)}]`;
  const params = Object.entries(s.best_rule.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  process.stdout.write(
    [
      `${episodes} evaluation episodes of seed ${seed} (best constant and rule chosen on ${SELECTION_EPISODES} other episodes)`,
      `learned policy      mean reward ${s.learned_mean.toFixed(2)}`,
      `best constant       mean reward ${s.best_constant.mean.toFixed(2)} at [${s.best_constant.allocation.map((x) => x.toFixed(2)).join(', ')}]`,
      `best rule           mean reward ${s.best_rule.mean.toFixed(2)} (${s.best_rule.name}${params ? `, ${params}` : ''})`,
      `learned − constant  ${ci(s.diff_constant)}`,
      `learned − rule      ${ci(s.diff_rule)}`,
    ].join('\n') + '\n',
  );
}
