import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { train } from '../../src/hrl/trainer.js';
import { loadModel, HrlModelSchema } from '../../src/hrl/model.js';
import { simulate } from '../../src/hrl/simulate.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const config = normalizeScenarioConfig({ environment: { max_months: 24 } });

t.test('a saved model round-trips through JSON and acts identically', async (t) => {
  const { model } = await train(config, { episodes: 100, seed: 5 });
  t.ok(TypeCompiler.Compile(HrlModelSchema).Check(model));
  const text = JSON.stringify(model);
  const loaded = loadModel(JSON.parse(text));
  t.strictSame(loaded, model);
  t.equal(JSON.stringify(loaded), text);
  const a = simulate(model, config, { episodes: 5, seed: 9 });
  const b = simulate(loaded, config, { episodes: 5, seed: 9 });
  t.strictSame(b, a, 'identical trajectories and actions');
});

t.test('loadModel rejects malformed models with a clear message', async (t) => {
  const { model } = await train(config, { episodes: 1, seed: 5 });
  const clone = (): Record<string, any> => JSON.parse(JSON.stringify(model));
  t.throws(() => loadModel('x'), /must be a JSON object/);
  t.throws(() => loadModel({ ...clone(), format: 'pickle' }), /model.format must be "hrl-finance-model"/);
  t.throws(() => loadModel({ ...clone(), version: 4 }), /version 4 is not supported \(this build reads version 3\)/);
  t.throws(() => loadModel({ ...clone(), version: 1 }), /model.version 1 is no longer supported \(this build reads version 3\).*retrain/);
  t.throws(() => loadModel({ ...clone(), version: 2 }), /model.version 2 is no longer supported \(this build reads version 3\).*retrain/);
  const noSettings = clone();
  delete noSettings.training_settings;
  t.throws(() => loadModel(noSettings), /training_settings/);
  const short = clone();
  short.executor.policy.pop();
  t.throws(() => loadModel(short), /model.executor.policy must hold \d+ numbers/);
  const nan = clone();
  nan.strategist.value[0] = 'NaN';
  t.throws(() => loadModel(nan), /model\.strategist\.value/);
  const badCfg = clone();
  badCfg.config.environment.income = 0;
  t.throws(() => loadModel(badCfg), /model.config: environment.income must be a number in \(0, 1000000000\]/);
  const sizes = clone();
  sizes.executor.sizes = [11, 16, 3];
  t.throws(() => loadModel(sizes), /sizes/);
  t.throws(() => loadModel({ ...clone(), extra: 1 }), /model/);
});
