// The BullMQ JobRunner against a real Redis: a submitting runner (a gateway's side) and an
// executor over a one-thread worker pool (a trainer's side), in one process here.
import t from 'tap';
import { BullmqJobExecutor, BullmqJobRunner } from '../../src/jobs/bullmq-runner.js';
import { WorkerPool } from '../../src/training/worker-pool.js';
import { runJobRunnerContract } from './job-runner-contract.js';
import { freshRedisPrefix, requireServices } from '../helpers/services.js';

const skip = await requireServices(t, 'redis');

t.test('BullMQ job runner', { skip }, async (t) => {
  runJobRunnerContract(t, async (t) => {
    const { url, prefix } = freshRedisPrefix(t);
    const pool = new WorkerPool({ size: 1 });
    const executor = new BullmqJobExecutor({ url, prefix, runner: pool, concurrency: 1 });
    const runner = new BullmqJobRunner({ url, prefix });
    t.teardown(async () => {
      await runner.close();
      await executor.close();
      await pool.close();
    });
    await executor.ready();
    return {
      runner,
      async crash() {
        await pool.terminateBusyWorkers();
      }
    };
  });
});
