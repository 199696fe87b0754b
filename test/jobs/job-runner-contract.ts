// The behaviour every JobRunner implementation must have (worker threads now, a
// distributed queue later). A new implementation's test file calls runJobRunnerContract
// with a factory for a runner that executes one job at a time.
import type { Test } from 'tap';
import { JobCancelledError, JobFailedError, type JobRunner, type JobUpdate } from '../../src/jobs/job-runner.js';
import { normalizeScenarioConfig, type HrlModel } from '../../src/hrl/index.js';
import type { Job } from '../../src/training/messages.js';
import { progressBatchMs } from '../../src/training/progress.js';

export interface JobRunnerFixture {
  /** Executes one job at a time, so queueing is observable. Closed by the fixture at teardown. */
  runner: JobRunner;
  /** Makes the executor of the running job die as a crash would. */
  crash(): Promise<void>;
}

const config = normalizeScenarioConfig({});
/** Episodes are batched as for a run at the default progress rate. */
const batchMs = progressBatchMs(10);
const train = (episodes: number, seed = 1): Job => ({ kind: 'train', config, episodes, seed, saveInterval: 1_000_000, evalEpisodes: 0, batchMs });
/** Long enough that it is still running whenever the test acts on it. */
const LONG = 1_000_000;
/** Fails inside the executor: an episode cannot have zero months. */
const broken: Job = { kind: 'train', config: { ...config, environment: { ...config.environment, max_months: 0 } }, episodes: 3, seed: 1, saveInterval: 10, evalEpisodes: 0, batchMs };

/** Collects a job's updates; `until` resolves at the first update matching a predicate. */
function updates() {
  const seen: JobUpdate[] = [];
  const waiters: Array<{ match: (u: JobUpdate) => boolean; resolve: () => void }> = [];
  return {
    seen,
    onUpdate(update: JobUpdate) {
      seen.push(update);
      for (const w of waiters.splice(0)) {
        if (w.match(update)) w.resolve();
        else waiters.push(w);
      }
    },
    until(match: (u: JobUpdate) => boolean): Promise<void> {
      if (seen.some(match)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ match, resolve }));
    }
  };
}

const isEpisodes = (u: JobUpdate) => u.type === 'episodes';

export function runJobRunnerContract(t: Test, makeFixture: (t: Test) => Promise<JobRunnerFixture>): void {
  // Executors can take seconds to start, so the cases that leave the runner usable share one.
  t.test('a runner used case after case', async (t) => {
    const { runner } = await makeFixture(t);

    t.test('runs a training job to its end, reporting started and every episode before the outcome', async (t) => {
      const u = updates();
      const outcome = await runner.submit(train(5), { onUpdate: u.onUpdate }).outcome;
      t.equal(u.seen[0]?.type, 'started');
      const episodes = u.seen.flatMap((x) => (x.type === 'episodes' ? x.metrics.map((m) => m.episode) : []));
      t.same(episodes, [1, 2, 3, 4, 5]);
      t.match(outcome, { type: 'trained', outcome: { episodesCompleted: 5, stopped: false } });
    });

    t.test('runs a simulation job with a trained model', async (t) => {
      const trained = await runner.submit(train(2)).outcome;
      if (trained.type !== 'trained') throw new Error(`expected trained, got ${trained.type}`);
      const model = trained.outcome.model as HrlModel;
      const simulated = await runner.submit({ kind: 'simulate', model, config, episodes: 3, seed: 7 }).outcome;
      t.equal(simulated.type, 'simulated');
      if (simulated.type === 'simulated') t.equal(simulated.outcome.episodes.length, 3);
    });

    t.test('starts jobs in submission order and reports no idle capacity while busy', async (t) => {
      const started: string[] = [];
      const submit = (name: string, episodes: number) =>
        runner.submit(train(episodes), { onUpdate: (u) => u.type === 'started' && started.push(name) });
      const first = submit('first', 20);
      t.equal(runner.hasIdleCapacity, false);
      const rest = ['second', 'third', 'fourth'].map((name) => submit(name, 1));
      t.equal(rest[0]!.state, 'queued');
      await Promise.all([first, ...rest].map((h) => h.outcome));
      t.same(started, ['first', 'second', 'third', 'fourth']);
      t.same([first, ...rest].map((h) => h.state), ['done', 'done', 'done', 'done']);
    });

    t.test('aborting a queued job rejects it with JobCancelledError, it never starts, and the queue moves on', async (t) => {
      const stopLong = new AbortController();
      const longUpdates = updates();
      const long = runner.submit(train(LONG), { signal: stopLong.signal, onUpdate: longUpdates.onUpdate });
      const abort = new AbortController();
      let queuedStarted = false;
      const queued = runner.submit(train(1), { signal: abort.signal, onUpdate: () => (queuedStarted = true) });
      const after = runner.submit(train(1));
      abort.abort();
      await t.rejects(queued.outcome, { name: 'JobCancelledError', reason: 'aborted' });
      t.equal(queued.state, 'done');
      // A runner may start even its first job asynchronously (a distributed queue does):
      // aborted before it starts, the long job would be cancelled rather than stopped.
      await longUpdates.until(isEpisodes);
      stopLong.abort();
      t.match(await long.outcome, { type: 'trained', outcome: { stopped: true } });
      t.match(await after.outcome, { type: 'trained', outcome: { episodesCompleted: 1 } });
      t.equal(queuedStarted, false);
    });

    t.test('a job submitted with an already aborted signal is cancelled without running', async (t) => {
      const u = updates();
      const handle = runner.submit(train(1), { signal: AbortSignal.abort(), onUpdate: u.onUpdate });
      await t.rejects(handle.outcome, { name: 'JobCancelledError', reason: 'aborted' });
      const next = await runner.submit(train(1)).outcome;
      t.equal(next.type, 'trained');
      t.same(u.seen, []);
    });

    t.test('aborting a running training job stops it between episodes with what it has done', async (t) => {
      const abort = new AbortController();
      const u = updates();
      const handle = runner.submit(train(LONG), { signal: abort.signal, onUpdate: u.onUpdate });
      await u.until(isEpisodes);
      t.equal(handle.state, 'running');
      abort.abort();
      const outcome = await handle.outcome;
      t.match(outcome, { type: 'trained', outcome: { stopped: true } });
      if (outcome.type === 'trained') {
        t.ok(outcome.outcome.episodesCompleted >= 1 && outcome.outcome.episodesCompleted < LONG);
        t.not(outcome.outcome.model, null, 'the partial model comes back');
      }
    });

    t.test('a job that throws fails with JobFailedError naming the cause, and the runner keeps working', async (t) => {
      const error = await runner.submit(broken).outcome.then(
        () => null,
        (e: unknown) => e
      );
      t.ok(error instanceof JobFailedError, 'JobFailedError');
      t.match(error, { crashed: false, message: /max_months/ });
      t.equal((await runner.submit(train(1)).outcome).type, 'trained');
    });
  });

  t.test('an executor that dies fails its job with JobFailedError (crashed) and the next job runs', async (t) => {
    const { runner, crash } = await makeFixture(t);
    const u = updates();
    const doomed = runner.submit(train(LONG), { onUpdate: u.onUpdate });
    const next = runner.submit(train(2));
    await u.until(isEpisodes);
    await crash();
    const error = await doomed.outcome.then(
      () => null,
      (e: unknown) => e
    );
    t.ok(error instanceof JobFailedError, 'JobFailedError');
    t.match(error, { crashed: true, details: /\S/ });
    t.match(await next.outcome, { type: 'trained', outcome: { episodesCompleted: 2 } });
  });

  t.test('close cancels running and queued jobs with JobCancelledError and refuses later ones', async (t) => {
    const { runner } = await makeFixture(t);
    const u = updates();
    const running = runner.submit(train(LONG), { onUpdate: u.onUpdate });
    const queued = runner.submit(train(1));
    // Both outcomes are watched before close settles them.
    const cancelled = [running, queued].map((h) => t.rejects(h.outcome, { name: 'JobCancelledError', reason: 'closed' }));
    await u.until(isEpisodes);
    await runner.close();
    await Promise.all(cancelled);
    await t.rejects(runner.submit(train(1)).outcome, { name: 'JobCancelledError', reason: 'closed' });
    await runner.close();
    t.pass('a second close is harmless');
  });
}
