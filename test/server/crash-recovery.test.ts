import t from 'tap';
import { fixture } from '../helpers/app.js';
import { postJson, spawnServer } from '../helpers/spawn-server.js';
import { TestClient } from '../helpers/ws-client.js';

t.test('a run active when the process dies is marked interrupted at the next start, ends with training_error, and resumes from storage', async (t) => {
  const dataDir = t.testdir();
  const first = await spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '1' });
  const imported = await fetch(`${first.url}/api/scenarios/import?name=balanced`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: fixture('balanced')
  });
  t.equal(imported.status, 201);
  const started = await postJson(`${first.url}/api/training/start`, { scenario_name: 'balanced', num_episodes: 100_000 });
  t.equal(started.status, 202);
  const runId = started.body.data.run_id;
  const watcher = await TestClient.connect(first.wsUrl);
  await watcher.subscribe({ run_id: runId });
  await watcher.next((f) => f.type === 'training_progress' && f.data.episode > 1);
  first.child.kill('SIGKILL');
  await first.exited;
  await watcher.closed;
  const lastSeen = watcher.runEvents(runId).at(-1)!.seq;

  const second = await spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '1' });
  const run = await (await fetch(`${second.url}/api/training/runs/${runId}`)).json();
  t.match(run, { status: 'interrupted', error: /interrupted/, finished_at: String });
  const client = await TestClient.connect(second.wsUrl);
  t.teardown(() => client.close());
  const confirmed = await client.subscribe({ run_id: runId, since_seq: lastSeen });
  t.equal(confirmed.resumed, true);
  const terminal = await client.terminal(runId);
  t.match(terminal, { type: 'training_error', data: { message: /interrupted/, scenario_name: 'balanced' } });
  const seqs = [...watcher.runEvents(runId), ...client.runEvents(runId)].map((e) => e.seq);
  t.same(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'no gap and no duplicate across the crash');
  t.same(client.invalid, []);
  // The scenario is free for a new run.
  const again = await postJson(`${second.url}/api/training/start`, { scenario_name: 'balanced', num_episodes: 2 });
  t.equal(again.status, 202);
  await client.subscribe({ run_id: again.body.data.run_id });
  t.equal((await client.terminal(again.body.data.run_id)).type, 'training_completed');
});

t.test('a bad configuration value stops start-up with a message naming the variable', async (t) => {
  await t.rejects(spawnServer(t, { HRL_DATA_DIR: t.testdir(), HRL_WORKERS: 'many' }), /HRL_WORKERS/);
  await t.rejects(spawnServer(t, { HRL_DATA_DIR: t.testdir(), HRL_PROGRESS_HZ: '0' }), /HRL_PROGRESS_HZ/);
});
