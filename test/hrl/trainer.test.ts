import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/config.js';
import { HrlTrainer, NumericalError, train } from '../../src/hrl/trainer.js';
import { EpisodeMetricsSchema } from '../../src/hrl/metrics.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';

// 40 × 60 months > one executor rollout (2048) and > one strategist rollout (256 decisions): both levels update.
const config = normalizeScenarioConfig({});

t.test('the same seed and config give a bit-identical history, including after updates', async (t) => {
  const a = await train(config, { episodes: 40, seed: 11 });
  const b = await train(config, { episodes: 40, seed: 11 });
  t.equal(a.history.length, 40);
  t.strictSame(a.history, b.history);
  t.strictSame(a.model, b.model);
  const c = await train(config, { episodes: 40, seed: 12 });
  t.notSame(a.history, c.history, 'another seed gives another history');
  const trainer = new HrlTrainer(config, { seed: 11 });
  t.ok(trainer.agent.executor.stats.updates === 0);
  const direct = Array.from({ length: 40 }, () => trainer.trainEpisode());
  t.strictSame(direct, a.history, 'train() is HrlTrainer.trainEpisode() in a loop');
  t.ok(trainer.agent.executor.stats.updates >= 1, 'the executor updated');
  t.ok(trainer.agent.strategist.stats.updates >= 1, 'the strategist updated');
});

t.test('every episode reports finite metrics under their wire names', async (t) => {
  const check = TypeCompiler.Compile(EpisodeMetricsSchema);
  const seen: number[] = [];
  const r = await train(config, { episodes: 5, seed: 1, onEpisode: (m) => seen.push(m.episode) });
  t.strictSame(seen, [1, 2, 3, 4, 5]);
  for (const m of r.history) {
    t.ok(check.Check(m), JSON.stringify([...check.Errors(m)].map((e) => e.path)));
    for (const v of Object.values(m)) t.ok(Number.isFinite(v));
  }
  t.equal(r.stopped, false);
  t.equal(r.episodesCompleted, 5);
  t.equal(r.model.episodes_trained, 5);
});

t.test('an abort stops training between episodes and returns the model trained so far', async (t) => {
  const ac = new AbortController();
  const r = await train(config, {
    episodes: 100,
    seed: 2,
    signal: ac.signal,
    onEpisode: (m) => {
      if (m.episode === 3) ac.abort();
    },
  });
  t.equal(r.stopped, true);
  t.equal(r.episodesCompleted, 3);
  t.equal(r.history.length, 3);
  t.equal(r.model.episodes_trained, 3);
});

t.test('train() yields to the event loop so a stop arriving as a macrotask is seen', async (t) => {
  const ac = new AbortController();
  let episodes = 0;
  setImmediate(() => ac.abort());
  const r = await train(config, { episodes: 10_000, seed: 3, signal: ac.signal, onEpisode: () => episodes++ });
  t.equal(r.stopped, true);
  t.ok(episodes >= 1 && episodes <= 3, `stopped after ${episodes} episode(s)`);
  const pre = new AbortController();
  pre.abort();
  const none = await train(config, { episodes: 5, seed: 3, signal: pre.signal });
  t.equal(none.episodesCompleted, 0);
  t.equal(none.stopped, true);
});

t.test('a non-finite number fails the run with NumericalError instead of being hidden', async (t) => {
  // The contract bounds money at 1e9 (a config past it is refused naming the field), so the
  // overflow is injected after validation, into the environment the trainer already holds.
  const over = normalizeScenarioConfig({ environment: { fixed_expenses: 0 } });
  over.environment.income = 1.5e308;
  t.throws(() => new HrlTrainer(over, { seed: 1 }), { name: 'ScenarioConfigError', field: 'environment.income' });
  const trainer = new HrlTrainer(normalizeScenarioConfig({ environment: { fixed_expenses: 0 } }), { seed: 1 });
  trainer.config.environment.income = 1.5e308;
  trainer.config.environment.initial_cash = 1.5e308;
  t.throws(() => { for (let i = 0; i < 3; i++) trainer.trainEpisode(); }, { name: 'NumericalError' });
  t.ok(new NumericalError('x') instanceof Error);
});
