import t from 'tap';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';
import { progressBatchMs } from '../../src/training/progress.js';
import { WorkerPool } from '../../src/training/worker-pool.js';
import { runJobRunnerContract } from './job-runner-contract.js';

runJobRunnerContract(t, async (t) => {
  const pool = new WorkerPool({ size: 1 });
  t.teardown(() => pool.close());
  return {
    runner: pool,
    async crash() {
      await pool.terminateBusyWorkers();
    }
  };
});

t.test('has idle capacity until every worker is busy, and again once one is free', async (t) => {
  const pool = new WorkerPool({ size: 2 });
  t.teardown(() => pool.close());
  t.equal(pool.hasIdleCapacity, true);
  const config = normalizeScenarioConfig({});
  const job = { kind: 'train' as const, config, episodes: 1, seed: 1, saveInterval: 10, evalEpisodes: 0, batchMs: progressBatchMs(10) };
  const first = pool.submit(job);
  t.equal(pool.hasIdleCapacity, true, 'one of two workers is still free');
  const second = pool.submit(job);
  t.equal(pool.hasIdleCapacity, false);
  await Promise.all([first.outcome, second.outcome]);
  t.equal(pool.hasIdleCapacity, true);
});
