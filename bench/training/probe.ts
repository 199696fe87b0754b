import { readFileSync } from 'node:fs';
import { parseScenarioYaml, HrlTrainer, simulate, bestConstantPolicy } from '../../src/hrl/index.js';
const name = process.argv[2] ?? 'balanced';
const eps = Number(process.argv[3] ?? 1000);
const { config } = parseScenarioYaml(readFileSync(`/work/shared/fixtures/scenarios/${name}.yaml`, 'utf8'));
if (process.argv[4]) { config.training.learning_rate_low = Number(process.argv[4]); config.training.learning_rate_high = Number(process.argv[4]) / 3; }
if (process.argv[5]) config.training.gamma_low = Number(process.argv[5]);
const tr = new HrlTrainer(config, { seed: 1 });
const t0 = performance.now();
let steps = 0;
let acc = 0; let accLen = 0;
for (let i = 1; i <= eps; i++) {
  const m = tr.trainEpisode();
  steps += m.episode_length; acc += m.episode_reward; accLen += m.episode_length;
  if (i % Math.max(1, Math.floor(eps / 10)) === 0) {
    console.log(i, 'avgR', (acc / (eps / 10)).toFixed(1), 'len', (accLen / (eps / 10)).toFixed(1), 'cash', m.final_cash.toFixed(0), 'std', Array.from(tr.agent.executor.logStd).map(x=>x.toFixed(2)).join(','), 'ent', tr.agent.executor.stats.entropy.toFixed(2), 'clip', tr.agent.executor.stats.clipFraction.toFixed(2));
    acc = 0; accLen = 0;
  }
}
const dt = (performance.now() - t0) / 1000;
console.log('steps/s', (steps / dt).toFixed(0), 'time', dt.toFixed(1));
const sim = simulate(tr.toModel(), config, { episodes: 200, seed: 999 });
console.log('learned', sim.aggregates.episode_reward_mean.toFixed(2), 'dur', sim.aggregates.duration_mean, 'inv%', sim.aggregates.avg_invest_pct.toFixed(1), 'save%', sim.aggregates.avg_save_pct.toFixed(1), 'cons%', sim.aggregates.avg_consume_pct.toFixed(1));
const best = bestConstantPolicy(config, 0.05, { episodes: 200, seed: 999 });
console.log('best const', best.allocation, best.episode_reward_mean.toFixed(2), best.duration_mean);
