// The scaled deployment as operators run it: two gateways and two trainers, each a real
// `node src/server.ts` process with HRL_ROLE, sharing one PostgreSQL database (fresh for
// this file) and one Redis key prefix (fresh, deleted after), with real sockets.
import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { clusterPrefix, runKey } from '../../src/training/cluster-runs.js';
import { freshPostgresDatabase, freshRedisPrefix, requireServices } from '../helpers/services.js';
import { postJson, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

const skip = await requireServices(t, 'redis', 'postgres');
const STALL_MS = 3000;
const TERMINAL = new Set(['training_completed', 'training_stopped', 'training_error']);
const scenarioYaml = () => readFile(new URL('../../examples/scenarios/test_scenario.yaml', import.meta.url), 'utf8');

/** Per-run seqs from 1 with no gap or duplicate, exactly one terminal event, last. */
function checkRunEvents(t: Test, events: Frame[], label: string): void {
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), `${label}: seq contiguous from 1, no gap, no duplicate`);
  t.equal(events.filter((e) => TERMINAL.has(e.type)).length, 1, `${label}: one terminal event`);
  t.ok(TERMINAL.has(events.at(-1)!.type), `${label}: the terminal event is last`);
}

async function startRun(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(`${url}/api/training/start`, { eval_episodes: 0, ...body });
  if (res.status !== 202) throw new Error(`start failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.run_id as string;
}

async function getRun(url: string, runId: string): Promise<Record<string, any>> {
  return (await (await fetch(`${url}/api/training/runs/${runId}`)).json()) as Record<string, any>;
}

async function connect(t: Test, server: SpawnedServer): Promise<TestClient> {
  const client = await TestClient.connect(server.wsUrl);
  t.teardown(() => client.close());
  return client;
}

t.test('two gateways and two trainers over Redis and PostgreSQL', { skip }, async (t) => {
  const databaseUrl = await freshPostgresDatabase(t);
  const space = freshRedisPrefix(t);
  const redis = new Redis(space.url);
  t.teardown(() => redis.quit());
  const env = (role: string) => ({
    HRL_ROLE: role,
    HRL_DATABASE_URL: databaseUrl,
    HRL_REDIS_URL: space.url,
    HRL_REDIS_PREFIX: space.prefix,
    HRL_STALL_MS: String(STALL_MS),
    HRL_WORKERS: '1',
    HRL_PROGRESS_HZ: '20',
    HRL_RATE_LIMIT: '0',
    HRL_DATA_DIR: t.testdir()
  });
  // All four start at once: migrations must be safe when several processes run them together.
  const [a, b, trainer1, trainer2] = await Promise.all([
    spawnServer(t, env('gateway')),
    spawnServer(t, env('gateway')),
    spawnServer(t, env('trainer')),
    spawnServer(t, env('trainer'))
  ]);
  const trainers = [trainer1!, trainer2!];
  const imported = await fetch(`${a!.url}/api/scenarios/import?name=demo`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: await scenarioYaml() });
  t.equal(imported.status, 201);
  for (const name of ['other', 'third']) {
    await fetch(`${a!.url}/api/scenarios/import?name=${name}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: await scenarioYaml() });
  }

  /** The trainer process holding a run's lease (its pid leads the lease value). */
  const holder = async (runId: string): Promise<SpawnedServer> => {
    for (;;) {
      const lease = await redis.get(runKey(clusterPrefix(space.prefix), runId, 'lease'));
      const found = lease && trainers.find((s) => s.child.pid === Number(lease.split(':')[0]));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const waitEpisodes = async (client: TestClient, runId: string, episodes: number) =>
    client.next((f) => f.run_id === runId && f.type === 'training_progress' && f.data.episode >= episodes, { timeoutMs: 120_000 });

  t.test('a run started through A and trained by a trainer reaches a client of B whole; a resume on A replays it', async (t) => {
    const onB = await connect(t, b!);
    await onB.subscribe({ scenario_name: 'demo' });
    const runId = await startRun(a!.url, { scenario_name: 'demo', num_episodes: 12, seed: 1 });
    await onB.terminal(runId);
    const events = onB.runEvents(runId);
    checkRunEvents(t, events, 'client of B');
    t.equal(events[0]!.type, 'training_started');
    t.equal(events.at(-1)!.type, 'training_completed');
    t.ok(events.every((e) => e.scenario_name === 'demo'), 'every envelope names the scenario');
    t.equal((await getRun(b!.url, runId)).status, 'completed');

    const onA = await connect(t, a!);
    const confirmed = await onA.subscribe({ run_id: runId, since_seq: 2 });
    t.equal(confirmed.replayed, events.length - 2);
    await onA.terminal(runId);
    t.same(onA.runEvents(runId).map((e) => e.seq), events.slice(2).map((e) => e.seq), 'the resume on A continues after seq 2');
    t.same(onA.runEvents(runId).map((e) => e.type), events.slice(2).map((e) => e.type));
  });

  t.test('one active run per scenario across gateways (409); a stop through B ends a run started through A', async (t) => {
    const onA = await connect(t, a!);
    await onA.subscribe({ scenario_name: 'demo' });
    const runId = await startRun(a!.url, { scenario_name: 'demo', num_episodes: 5000, seed: 2 });
    const second = await postJson(`${b!.url}/api/training/start`, { scenario_name: 'demo', num_episodes: 10 });
    t.equal(second.status, 409);
    t.equal(second.body.code, 'HRL_RUN_ACTIVE');
    await waitEpisodes(onA, runId, 2);
    const stop = await postJson(`${b!.url}/api/training/stop`, { run_id: runId });
    t.equal(stop.status, 200);
    t.equal(stop.body.data.status, 'stopping');
    const terminal = await onA.terminal(runId);
    t.equal(terminal.type, 'training_stopped');
    checkRunEvents(t, onA.runEvents(runId), 'client of A');
    const run = await getRun(a!.url, runId);
    t.equal(run.status, 'stopped');
    t.ok(run.model_name, 'the stopped run saved its model');
  });

  t.test('a gateway killed mid-run: its client resumes on the other gateway and loses nothing', async (t) => {
    const onA = await connect(t, a!);
    await onA.subscribe({ scenario_name: 'other' });
    const runId = await startRun(a!.url, { scenario_name: 'other', num_episodes: 60, seed: 3 });
    await waitEpisodes(onA, runId, 3);
    a!.child.kill('SIGKILL');
    await a!.exited;
    await onA.closed;
    const before = onA.runEvents(runId);
    const onB = await connect(t, b!);
    await onB.subscribe({ run_id: runId, since_seq: before.at(-1)!.seq });
    await onB.terminal(runId);
    checkRunEvents(t, [...before, ...onB.runEvents(runId)], 'before the kill on A, then on B');
    t.equal((await getRun(b!.url, runId)).status, 'completed', 'the run went on on its trainer');
  });

  t.test('a trainer killed mid-run: training_error within the stall bound, status failed, the scenario trains again', async (t) => {
    const onB = await connect(t, b!);
    await onB.subscribe({ scenario_name: 'third' });
    const runId = await startRun(b!.url, { scenario_name: 'third', num_episodes: 5000, seed: 4 });
    await waitEpisodes(onB, runId, 2);
    const victim = await holder(runId);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const terminal = await onB.terminal(runId);
    const waited = Date.now() - killedAt;
    t.equal(terminal.type, 'training_error');
    t.match(terminal.data.message, /trainer stopped responding/);
    // The bound is HRL_STALL_MS plus one check (≤ 1 s); the margin is for a loaded machine.
    t.ok(waited < STALL_MS + 30_000, `ended ${waited} ms after the kill (HRL_STALL_MS ${STALL_MS})`);
    checkRunEvents(t, onB.runEvents(runId), 'the killed trainer\'s run');
    const run = await getRun(b!.url, runId);
    t.equal(run.status, 'failed');
    trainers.splice(trainers.indexOf(victim), 1);

    const next = await startRun(b!.url, { scenario_name: 'third', num_episodes: 5, seed: 5 });
    const done = await onB.terminal(next);
    t.equal(done.type, 'training_completed', 'the next run on that scenario trains on the other trainer');
  });

  t.test('a trainer sent SIGTERM stops its run gracefully: model saved, terminal event, exit 0', async (t) => {
    const onB = await connect(t, b!);
    await onB.subscribe({ scenario_name: 'demo' });
    const runId = await startRun(b!.url, { scenario_name: 'demo', num_episodes: 5000, seed: 6 });
    await waitEpisodes(onB, runId, 2);
    const trainer = await holder(runId);
    trainer.child.kill('SIGTERM');
    const terminal = await onB.terminal(runId);
    t.equal(terminal.type, 'training_stopped');
    t.ok(terminal.data.model_name, 'its model was saved');
    t.same(await trainer.exited, { code: 0, signal: null });
    const run = await getRun(b!.url, runId);
    t.equal(run.status, 'stopped');
    checkRunEvents(t, onB.runEvents(runId), 'the stopped run');
  });
});
