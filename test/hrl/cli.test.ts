import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
