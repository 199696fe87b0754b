// The behaviour every Storage implementation must have (SQLite now, PostgreSQL later).
// A new implementation's test file calls runStorageContract with a factory that opens
// a fresh, empty store; the per-repository files next to this one go deeper on SQLite.
import type { Test } from 'tap';
import type { EpisodeMetrics } from '../../src/hrl/index.js';
import { ActiveRunConflictError, ConflictError, ModelNameReservedError, type ReportRecord, type SimulationRecord, type Storage } from '../../src/storage/index.js';
import { fakeModel, makeRun, progressEvent, sampleConfig } from './helpers.js';

export interface StorageFixture {
  /** A fresh, empty store, closed by the fixture at teardown. */
  storage: Storage;
  /** Another handle on the same data, as a restarted process (or a second one) opens it. */
  reopen(): Promise<Storage>;
}

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, second)).toISOString();

const episode = (n: number): EpisodeMetrics => ({
  episode: n,
  episode_reward: n * 0.1 + 0.2,
  episode_length: 60,
  final_cash: 1000 + n / 7,
  total_invested: 500.25,
  portfolio_value: 512.125,
  cash_stability_index: 0.95,
  goal_adherence: 0.1,
  sharpe_ratio: -1e-300,
  policy_stability: 0.8
});

const modelEntry = (name: string, created_at = at(0)) => ({
  name,
  scenario_name: 'bologna_coppia',
  run_id: 'run-1',
  created_at,
  episodes: 10,
  final_metrics: { avg_reward: 0.1 + 0.2, stability: null },
  model: fakeModel({ name, weights: [0.5, -1.25e-10], note: 'città' })
});

const simulation = (id: string, model_name = 'm1', created_at = at(0)): SimulationRecord => ({
  simulation_id: id,
  scenario_name: 'bologna_coppia',
  model_name,
  num_episodes: 3,
  seed: 4294967295,
  created_at,
  total_wealth_mean: 12345.678,
  duration_mean: 59.5,
  description: 'due persone a Bologna',
  config: sampleConfig,
  result: { simulation_id: id, episodes: [{ total_wealth: 1.5 }] }
});

const report = (id: string, simulation_id = 'sim-1', generated_at = at(0)): ReportRecord => ({
  report_id: id,
  simulation_id,
  report_type: 'pdf',
  title: `Report ${id}`,
  generated_at,
  size_bytes: 2048,
  sections: ['summary', 'charts'],
  file_name: `${id}.pdf`
});

export function runStorageContract(t: Test, makeFixture: (t: Test) => Promise<StorageFixture>): void {
  t.test('a run reads back as created, patches change only their fields, and a taken run_id is a ConflictError', async (t) => {
    const { storage } = await makeFixture(t);
    const run = makeRun({ latest_progress: progressEvent('run-1', 1).data as never });
    await storage.runs.create(run);
    t.strictSame(await storage.runs.get('run-1'), run);
    await t.rejects(storage.runs.create(makeRun({ scenario_name: 'other' })), ConflictError);
    await storage.runs.update('run-1', { status: 'running', started_at: at(1) });
    t.strictSame(await storage.runs.get('run-1'), { ...run, status: 'running', started_at: at(1) });
    t.equal(await storage.runs.get('nope'), undefined);
  });

  t.test('runs list newest first with filters and a total before paging; findByStatus is oldest first', async (t) => {
    const { storage } = await makeFixture(t);
    t.equal(await storage.runs.latest(), undefined);
    await storage.runs.create(makeRun({ run_id: 'a', created_at: at(1), status: 'completed' }));
    await storage.runs.create(makeRun({ run_id: 'b', created_at: at(2), status: 'running', scenario_name: 'other' }));
    await storage.runs.create(makeRun({ run_id: 'c', created_at: at(3), status: 'queued' }));
    const all = await storage.runs.list({ limit: 2, offset: 0 });
    t.same(all.runs.map((r) => r.run_id), ['c', 'b']);
    t.equal(all.total, 3);
    const page2 = await storage.runs.list({ limit: 2, offset: 2 });
    t.same(page2.runs.map((r) => r.run_id), ['a']);
    const scenario = await storage.runs.list({ scenario_name: 'bologna_coppia', limit: 10, offset: 0 });
    t.same(scenario.runs.map((r) => r.run_id), ['c', 'a']);
    t.equal((await storage.runs.list({ status: 'running', limit: 10, offset: 0 })).total, 1);
    t.same((await storage.runs.findByStatus(['queued', 'running'])).map((r) => r.run_id), ['b', 'c']);
    t.equal((await storage.runs.latest())?.run_id, 'c');
  });

  t.test('one active (queued or running) run per scenario, enforced by the database', async (t) => {
    const { storage } = await makeFixture(t);
    await storage.runs.create(makeRun({ run_id: 'a', status: 'queued' }));
    const second = storage.runs.create(makeRun({ run_id: 'b', status: 'running' }));
    await t.rejects(second, ActiveRunConflictError);
    const error = (await second.catch((e: unknown) => e)) as ActiveRunConflictError;
    t.same([error.scenarioName, error.activeRunId], ['bologna_coppia', 'a'], 'the error names the run that holds the scenario');
    t.ok(error instanceof ConflictError, 'still a ConflictError for callers that only know that one');
    await storage.runs.create(makeRun({ run_id: 'other-scenario', scenario_name: 'other', status: 'queued' }));
    await storage.runs.create(makeRun({ run_id: 'old', status: 'completed' }));
    await storage.runs.update('a', { status: 'running' });
    await storage.runs.update('a', { status: 'stopped' });
    await storage.runs.create(makeRun({ run_id: 'b', status: 'running' }));
    await t.rejects(storage.runs.update('old', { status: 'queued' }), ActiveRunConflictError, 'nor can an ended run become active beside it');
    t.same((await storage.runs.findByStatus(['queued', 'running'])).map((r) => r.run_id), ['other-scenario', 'b']);
    await t.rejects(storage.runs.create(makeRun({ run_id: 'b', scenario_name: 'third', status: 'completed' })), ConflictError, 'a taken run_id stays a plain conflict');
  });

  t.test('a requested model name is held by one active run at a time', async (t) => {
    const { storage } = await makeFixture(t);
    await storage.runs.create(makeRun({ run_id: 'a', requested_model_name: 'mine' }));
    await t.rejects(storage.runs.create(makeRun({ run_id: 'b', scenario_name: 'other', requested_model_name: 'mine' })), ModelNameReservedError);
    await storage.runs.create(makeRun({ run_id: 'c', scenario_name: 'other', requested_model_name: 'theirs' }));
    await storage.runs.create(makeRun({ run_id: 'd', scenario_name: 'third', requested_model_name: null }));
    await storage.runs.create(makeRun({ run_id: 'e', scenario_name: 'fourth', requested_model_name: null }));
    await storage.runs.update('a', { status: 'failed' });
    await storage.runs.create(makeRun({ run_id: 'b', scenario_name: 'fifth', requested_model_name: 'mine' }));
    t.equal((await storage.runs.get('b'))?.requested_model_name, 'mine');
  });

  t.test('two handles racing to start runs of one scenario: exactly one is admitted', async (t) => {
    const { storage, reopen } = await makeFixture(t);
    const other = await reopen();
    const attempts = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? storage : other).runs.create(makeRun({ run_id: `r${i}`, status: 'queued' })));
    const results = await Promise.allSettled(attempts);
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    t.equal(admitted.length, 1, 'one run admitted');
    t.ok(refused.every((e) => e instanceof ActiveRunConflictError), 'every other start is an ActiveRunConflictError');
    t.equal((await other.runs.findByStatus(['queued', 'running'])).length, 1, 'one active run stored');
  });

  t.test("a run's checkpoint is replaced by the next one", async (t) => {
    const { storage } = await makeFixture(t);
    await storage.runs.create(makeRun());
    t.equal(await storage.runs.getCheckpoint('run-1'), undefined);
    await storage.runs.saveCheckpoint('run-1', 10, fakeModel({ at: 10 }), at(1));
    await storage.runs.saveCheckpoint('run-1', 20, fakeModel({ at: 20 }), at(2));
    t.same(await storage.runs.getCheckpoint('run-1'), { run_id: 'run-1', episode: 20, model: { at: 20 }, updated_at: at(2) });
  });

  t.test('episodes come back in order, exactly; a duplicate episode rejects its whole batch', async (t) => {
    const { storage } = await makeFixture(t);
    await storage.runs.create(makeRun());
    await storage.episodes.append('run-1', [episode(2), episode(1)]);
    t.strictSame(await storage.episodes.list('run-1'), [episode(1), episode(2)]);
    await t.rejects(storage.episodes.append('run-1', [episode(3), episode(2)]), ConflictError);
    t.equal(await storage.episodes.count('run-1'), 2, 'episode 3 was rolled back with the duplicate');
    t.equal(await storage.episodes.count('unknown'), 0);
  });

  t.test("episode summaries, pages and reward curves are computed by the database over a run's episodes only", async (t) => {
    const { storage } = await makeFixture(t);
    await storage.runs.create(makeRun());
    await storage.runs.create(makeRun({ run_id: 'other', scenario_name: 'other' }));
    await storage.episodes.append('run-1', Array.from({ length: 10 }, (_, i) => ({ ...episode(i + 1), episode_reward: i + 1 })));
    await storage.episodes.append('other', [{ ...episode(1), episode_reward: 1000 }]);
    t.same((await storage.episodes.page('run-1', 7, 2)).map((e) => e.episode), [8, 9]);
    t.strictSame(await storage.episodes.rewardCurve('run-1', 10, 4), [2, 5, 8, 10], 'buckets of 3: means of 1-3, 4-6, 7-9, 10');
    t.strictSame(await storage.episodes.rewardCurve('run-1', 3, 100), [1, 2, 3]);
    const summary = await storage.episodes.summary('run-1', 9);
    t.strictSame(summary.episode_reward, { count: 9, first: 1, last: 9, mean: 5, min: 1, max: 9 });
    t.equal(summary.sharpe_ratio?.min, -1e-300, 'doubles come back exactly');
    t.same(await storage.episodes.summary('no-such-run', 10), {});
  });

  t.test('events read back exactly after a seq, per run; a duplicate seq rejects its whole batch', async (t) => {
    const { storage } = await makeFixture(t);
    t.equal(await storage.events.lastSeq('r'), 0);
    const rows = (runId: string, seqs: number[]) => seqs.map((seq) => ({ event: progressEvent(runId, seq), scenario_name: 's' }));
    await storage.events.appendEvents([...rows('r', [1, 2, 3, 4]), ...rows('other', [1])]);
    t.strictSame(await storage.events.readEvents('r', 1, 2), [progressEvent('r', 2), progressEvent('r', 3)]);
    t.equal(await storage.events.lastSeq('r'), 4);
    await t.rejects(storage.events.appendEvents(rows('r', [5, 4])), ConflictError);
    t.equal(await storage.events.lastSeq('r'), 4, 'seq 5 was rolled back with the duplicate');
  });

  t.test('a model name is never overwritten; summaries leave the weights out', async (t) => {
    const { storage } = await makeFixture(t);
    await storage.models.insert(modelEntry('m1', at(1)));
    await t.rejects(storage.models.insert({ ...modelEntry('m1', at(2)), episodes: 99 }), ConflictError);
    const stored = await storage.models.get('m1');
    t.strictSame(stored?.model, modelEntry('m1').model);
    t.equal(stored?.episodes, 10, 'the first model stays');
    t.equal(stored?.size_bytes, Buffer.byteLength(JSON.stringify(modelEntry('m1').model), 'utf8'));
    await storage.models.insert(modelEntry('m2', at(2)));
    const { model: _weights, ...summary } = stored!;
    t.strictSame(await storage.models.summary('m1'), summary);
    t.same((await storage.models.list()).map((m) => m.name), ['m2', 'm1']);
    t.notOk('model' in (await storage.models.list())[0]!);
    t.equal(await storage.models.exists('m1'), true);
    t.equal(await storage.models.delete('m1'), true);
    t.equal(await storage.models.delete('m1'), false);
    t.equal(await storage.models.summary('m1'), undefined);
  });

  t.test('a scenario name is unique, also when renaming, and a rename is one change', async (t) => {
    const { storage } = await makeFixture(t);
    const scenario = (name: string, updated_at = at(0)) => ({ name, description: 'd', currency: 'CHF', config: sampleConfig, created_at: at(0), updated_at });
    await storage.scenarios.insert(scenario('a', at(1)));
    await storage.scenarios.insert(scenario('b', at(2)));
    await t.rejects(storage.scenarios.insert(scenario('a')), ConflictError);
    t.same((await storage.scenarios.list()).map((s) => s.name), ['b', 'a']);
    await t.rejects(storage.scenarios.update('a', scenario('b')), ConflictError);
    t.ok(await storage.scenarios.get('a'), 'a failed rename changes nothing');
    t.equal(await storage.scenarios.update('a', scenario('c', at(3))), true);
    t.equal(await storage.scenarios.get('a'), undefined);
    t.strictSame(await storage.scenarios.get('c'), scenario('c', at(3)));
    t.equal(await storage.scenarios.update('nope', scenario('d')), false);
    t.equal(await storage.scenarios.delete('c'), true);
    t.equal(await storage.scenarios.delete('c'), false);
  });

  t.test('simulations: unique ids, newest first, filtered by model, listed without their result', async (t) => {
    const { storage } = await makeFixture(t);
    await storage.simulations.insert(simulation('sim-1', 'm1', at(1)));
    await storage.simulations.insert(simulation('sim-2', 'm2', at(2)));
    await storage.simulations.insert(simulation('sim-3', 'm1', at(3)));
    await t.rejects(storage.simulations.insert(simulation('sim-1')), ConflictError);
    t.strictSame(await storage.simulations.get('sim-2'), simulation('sim-2', 'm2', at(2)));
    const m1 = await storage.simulations.list({ limit: 1, offset: 0, model_name: 'm1' });
    t.same(m1.simulations.map((s) => s.simulation_id), ['sim-3']);
    t.equal(m1.total, 2);
    t.notOk('result' in m1.simulations[0]!);
    t.equal(await storage.simulations.get('nope'), undefined);
    t.same([await storage.simulations.exists('sim-2'), await storage.simulations.exists('nope')], [true, false]);
  });

  t.test('health: a working database answers a read and a write', async (t) => {
    const { storage } = await makeFixture(t);
    t.same(await storage.health(), { ok: true });
    t.same(await storage.health(), { ok: true }, 'and again: the probe rewrites its one row');
  });

  t.test("a simulation's result bytes are its stored JSON; deleteBeyond keeps a model's newest", async (t) => {
    const { storage } = await makeFixture(t);
    for (let i = 1; i <= 3; i++) await storage.simulations.insert(simulation(`sim-${i}`, 'm1', at(i)));
    const { result_bytes, ...rest } = (await storage.simulations.getWithResultBytes('sim-2'))!;
    const { result, ...expected } = simulation('sim-2', 'm1', at(2));
    t.strictSame(rest, expected);
    t.strictSame(JSON.parse(Buffer.from(result_bytes).toString('utf8')), result);
    t.equal(await storage.simulations.exists('sim-2'), true);
    t.same((await storage.simulations.deleteBeyond('m1', 1)).sort(), ['sim-1', 'sim-2']);
    t.same((await storage.simulations.list({ limit: 10, offset: 0 })).simulations.map((s) => s.simulation_id), ['sim-3']);
    t.equal(await storage.simulations.delete('sim-3'), true);
    t.equal(await storage.simulations.delete('sim-3'), false);
  });

  t.test('reports: unique ids, newest first, filtered by simulation', async (t) => {
    const { storage } = await makeFixture(t);
    await storage.reports.insert(report('rep-1', 'sim-1', at(1)));
    await storage.reports.insert(report('rep-2', 'sim-2', at(2)));
    await storage.reports.insert(report('rep-3', 'sim-1', at(3)));
    await t.rejects(storage.reports.insert(report('rep-1')), ConflictError);
    t.strictSame(await storage.reports.get('rep-1'), report('rep-1', 'sim-1', at(1)));
    const all = await storage.reports.list({ limit: 10, offset: 0 });
    t.same(all.reports.map((r) => r.report_id), ['rep-3', 'rep-2', 'rep-1']);
    const sim1 = await storage.reports.list({ limit: 10, offset: 0, simulation_id: 'sim-1' });
    t.same([sim1.total, sim1.reports.map((r) => r.report_id)], [2, ['rep-3', 'rep-1']]);
  });

  t.test("a report's bytes, when stored with it, read back exactly and stay out of its metadata", async (t) => {
    const { storage } = await makeFixture(t);
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
    await storage.reports.insert(report('rep-1'), bytes);
    await storage.reports.insert(report('rep-2'));
    t.strictSame(await storage.reports.content('rep-1'), Buffer.from(bytes));
    t.equal(await storage.reports.content('rep-2'), undefined, 'no bytes stored with it');
    t.equal(await storage.reports.content('nope'), undefined);
    t.strictSame(await storage.reports.get('rep-1'), report('rep-1'));
    t.strictSame(await storage.reports.delete('rep-1'), report('rep-1'));
    t.equal(await storage.reports.content('rep-1'), undefined, 'gone with its record');
  });

  t.test('what one handle wrote, another handle on the same store reads', async (t) => {
    const { storage, reopen } = await makeFixture(t);
    await storage.runs.create(makeRun({ status: 'completed' }));
    await storage.events.appendEvents([{ event: progressEvent('run-1', 1), scenario_name: 's' }]);
    await storage.models.insert(modelEntry('m1'));
    const other = await reopen();
    t.equal((await other.runs.get('run-1'))?.status, 'completed');
    t.equal(await other.events.lastSeq('run-1'), 1);
    t.equal(await other.models.exists('m1'), true);
    await t.rejects(other.models.insert(modelEntry('m1')), ConflictError, 'uniqueness holds across handles');
  });

  t.test('close is idempotent', async (t) => {
    const { storage } = await makeFixture(t);
    await Promise.all([storage.close(), storage.close()]);
    await storage.close();
    t.pass('closed twice without error');
  });
}
