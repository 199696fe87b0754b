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

t.test('has idle capacity while a worker is free or not yet started, none while the only one is busy', async (t) => {
  const pool = new WorkerPool({ size: 1 });
  t.teardown(() => pool.close());
  t.equal(pool.hasIdleCapacity, true, 'a worker can still be started');
  const job = pool.submit({ kind: 'train', config: normalizeScenarioConfig({}), episodes: 1, seed: 1, saveInterval: 10, evalEpisodes: 0, batchMs: progressBatchMs(10) });
  t.equal(pool.hasIdleCapacity, false);
  await job.outcome;
  t.equal(pool.hasIdleCapacity, true, 'the worker is free again');
});
