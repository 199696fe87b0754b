import { readFileSync } from 'node:fs';
import { parseScenarioYaml, HrlTrainer } from '../../src/hrl/index.js';
const name = process.argv[2] ?? 'balanced';
const { config } = parseScenarioYaml(readFileSync(`/work/shared/fixtures/scenarios/${name}.yaml`, 'utf8'));
const tr = new HrlTrainer(config, { seed: 1 });
for (let i = 0; i < 100; i++) tr.trainEpisode();
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now(); const c0 = process.cpuUsage(); let steps = 0;
  while (performance.now() - t0 < 3000) steps += tr.trainEpisode().episode_length;
  const c = process.cpuUsage(c0);
  console.log(name, 'wall', (steps / ((performance.now() - t0) / 1000)).toFixed(0), 'cpu', (steps / ((c.user + c.system) / 1e6)).toFixed(0));
}
