// Robustness check: the balanced result over several training seeds (not part of npm run bench:training).
import { readFileSync } from 'node:fs';
import { HrlTrainer, bestConstantPolicy, parseScenarioYaml, simulate } from '../../src/hrl/index.js';
const name = process.argv[2] ?? 'balanced';
const episodes = Number(process.argv[3] ?? 3000);
const { config } = parseScenarioYaml(readFileSync(new URL(`../../examples/scenarios/${name}.yaml`, import.meta.url), 'utf8'));
const best = bestConstantPolicy(config, 0.05, { episodes: 200, seed: 1_000_003 });
for (const seed of [2, 3, 4]) {
  const tr = new HrlTrainer(config, { seed });
  for (let i = 0; i < episodes; i++) tr.trainEpisode();
  const sim = simulate(tr.toModel(), config, { episodes: 200, seed: 1_000_003 });
  const d = sim.episodes.map((e, k) => e.episode_reward - best.episode_rewards[k]);
  const m = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / (d.length - 1));
  console.log(name, 'seed', seed, 'learned', sim.aggregates.episode_reward_mean.toFixed(2), 'best const', best.episode_reward_mean.toFixed(2), 'diff', m.toFixed(2), '±', (1.972 * sd / Math.sqrt(d.length)).toFixed(2));
}
