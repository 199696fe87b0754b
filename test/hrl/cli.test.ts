import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/hrl/model.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const scenario = fileURLToPath(new URL('../../examples/scenarios/balanced.yaml', import.meta.url));

t.test('train --json prints progress lines and a final line, and simulate reads the saved model', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hrl-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'model.json');
  const train = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--scenario', scenario, '--episodes', '12', '--seed', '4', '--out', out, '--json'], { cwd: root });
  const lines = train.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const progress = lines.filter((l) => l.type === 'progress');
  t.ok(progress.length >= 2, 'first and last episode ticks at least');
  t.equal(progress[0].episode, 1);
  t.equal(progress[progress.length - 1].episode, 12);
  for (const k of ['total_episodes', 'avg_reward', 'avg_duration', 'avg_cash', 'avg_invested', 'stability', 'goal_adherence', 'elapsed_time']) t.ok(k in progress[0], k);
  const last = lines[lines.length - 1];
  t.equal(last.type, 'completed');
  t.equal(last.episodes_completed, 12);
  t.equal(last.final_metrics.episode, 12);
  const model = loadModel(JSON.parse(readFileSync(out, 'utf8')));
  t.equal(model.episodes_trained, 12);

  const sim = await run(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', '--model', out, '--scenario', scenario, '--episodes', '3', '--seed', '2', '--json'], { cwd: root });
  const result = JSON.parse(sim.stdout);
  t.equal(result.episodes.length, 3);
  t.ok(Number.isFinite(result.aggregates.total_wealth_mean));
});

t.test('train rejects a bad scenario with the field and the rule', async (t) => {
  const err = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--scenario', join(root, 'package.json'), '--episodes', '1'], { cwd: root }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.ok(err, 'exits non-zero');
  t.equal(err?.code, 2);
  t.match(err?.stderr ?? '', /is not a known block|must be/);
});

t.test('evaluate scores the model train wrote, and its learned rewards are exactly what simulate gives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hrl-eval-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'model.json');
  const trained = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--scenario', scenario, '--episodes', '20', '--seed', '3', '--out', out, '--json'], { cwd: root });
  const last = JSON.parse(trained.stdout.trim().split('\n').pop()!);
  t.match(last.training_settings, { auto: true, num_episodes: 20, episodes_explicit: true }, 'the final line records the settings in use');

  const args = ['--model', out, '--scenario', scenario, '--episodes', '30', '--seed', '11', '--json'];
  const [evaluated, simulated] = await Promise.all([
    run(process.execPath, ['--import', 'tsx', 'scripts/evaluate.ts', ...args], { cwd: root }),
    run(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', ...args], { cwd: root }),
  ]);
  const e = JSON.parse(evaluated.stdout);
  const s = JSON.parse(simulated.stdout);
  t.equal(e.learned.length, 30);
  t.strictSame(
    e.learned,
    s.episodes.map((x: { episode_reward: number }) => x.episode_reward),
    'per-episode rewards in seed order equal simulate',
  );
  t.equal(e.best_constant.allocation.length, 3);
  t.equal(e.best_constant.rewards.length, 30);
  t.equal(e.best_rule.rewards.length, 30);
  t.type(e.best_rule.name, 'string');
  t.type(e.best_rule.params, 'object');
  for (const k of ['diff_constant', 'diff_rule']) {
    t.type(e[k].mean, 'number');
    t.ok(e[k].ci95[0] <= e[k].mean && e[k].mean <= e[k].ci95[1], `${k} interval contains its mean`);
  }
  const paired = e.learned.map((x: number, i: number) => x - e.best_constant.rewards[i]);
  t.ok(Math.abs(e.diff_constant.mean - paired.reduce((a: number, b: number) => a + b, 0) / 30) < 1e-9, 'the difference is paired by episode');

  const text = await run(process.execPath, ['--import', 'tsx', 'scripts/evaluate.ts', '--model', out, '--episodes', '5', '--seed', '1'], { cwd: root });
  t.match(text.stdout, /learned − constant .*95% CI/);
});

t.test('evaluate and train refuse bad arguments with a message naming them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hrl-eval-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fail = (script: string, args: string[]) =>
    run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
  const old = join(dir, 'old.json');
  writeFileSync(old, JSON.stringify({ format: 'hrl-finance-model', version: 1 }));
  const v1 = await fail('scripts/evaluate.ts', ['--model', old]);
  t.equal(v1?.code, 2);
  t.match(v1?.stderr, /version 1 is no longer supported/);
  const one = await fail('scripts/evaluate.ts', ['--model', old, '--episodes', '1']);
  t.match(one?.stderr, /--episodes must be an integer in \[2, /);
  // auto: false uses the file's num_episodes when --episodes is absent.
  const verbatim = join(dir, 'verbatim.yaml');
  writeFileSync(verbatim, 'environment:\n  max_months: 6\ntraining:\n  auto: false\n  num_episodes: 3\n');
  const r = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--scenario', verbatim, '--json'], { cwd: root });
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.equal(last.episodes_completed, 3);
  t.match(last.training_settings, { auto: false, episodes_explicit: false, gamma_low: 0.95 });
});
