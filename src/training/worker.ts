// Worker thread entry: runs HRL jobs. Imports nothing from Fastify (house rule 7).
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { HrlTrainer, runBaselines, simulate } from '../hrl/index.js';
import { MAX_UNACKED_UPDATES, type FromWorker, type Job, type SimulateJob, type ToWorker, type TrainJob, type TrainOutcome } from './messages.js';
import { EpisodeBatcher } from './progress.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

// Lowest CPU priority for this thread only (on Linux a nice value is per thread): training
// gets whatever CPU the event loop leaves idle, so HTTP and WebSocket latency hold up.
try {
  setPriority(19);
} catch {
  // Not permitted on this platform: training still runs, just at normal priority.
}

/** The loop yields to the event loop this often, so a stop message is seen promptly. */
const YIELD_MS = 20;
/** During the baselines (no episodes to report) the worker says it is alive this often. */
const ALIVE_MS = 1000;

let current: { jobId: string; abort: AbortController } | null = null;
const post = (message: FromWorker) => port.postMessage(message);

// Flow control: updates the main thread has not finished handling (it may be waiting on a
// locked database). Training pauses at MAX_UNACKED_UPDATES instead of queueing more.
let unacked = 0;
let onCredit: (() => void) | null = null;
const postUpdate = (message: Extract<FromWorker, { type: 'started' | 'episodes' | 'checkpoint' }>) => {
  unacked++;
  post(message);
};
const credit = () => {
  const resolve = onCredit;
  onCredit = null;
  resolve?.();
};
const waitForCredit = async (signal: AbortSignal) => {
  while (unacked >= MAX_UNACKED_UPDATES && !signal.aborted) await new Promise<void>((resolve) => (onCredit = resolve));
};
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function train(jobId: string, job: TrainJob, signal: AbortSignal): Promise<TrainOutcome> {
  const trainer = new HrlTrainer(job.config, { seed: job.seed, episodes: job.episodes });
  const episodes = trainer.settings.num_episodes;
  postUpdate({ type: 'started', jobId, settings: trainer.settings });
  // Batches (job.batchMs, from the progress rate) keep fast training from flooding the port.
  const batcher = new EpisodeBatcher(job.batchMs, (metrics) => postUpdate({ type: 'episodes', jobId, metrics }));
  const flush = () => batcher.flush();
  let lastYield = Date.now();
  let lastCheckpoint = { episode: 0, ms: lastYield };
  let completed = 0;
  while (completed < episodes && !signal.aborted) {
    batcher.add(trainer.trainEpisode());
    completed++;
    const now = Date.now();
    // Every saveInterval episodes, but never more often than checkpointMinMs: a full model
    // per short episode would flood the main thread and the database.
    const due = completed - lastCheckpoint.episode >= job.saveInterval && now - lastCheckpoint.ms >= (job.checkpointMinMs ?? 0);
    if (due && completed < episodes) {
      flush();
      postUpdate({ type: 'checkpoint', jobId, episode: completed, model: trainer.toModel() });
      lastCheckpoint = { episode: completed, ms: now };
    }
    if (unacked >= MAX_UNACKED_UPDATES) {
      await waitForCredit(signal);
      lastYield = Date.now();
    } else if (now - lastYield >= YIELD_MS) {
      await yieldToLoop();
      lastYield = Date.now();
    }
  }
  flush();
  const model = completed > 0 ? trainer.toModel() : null;
  const stopped = completed < episodes;
  let evaluation: TrainOutcome['evaluation'] = null;
  if (model && !stopped && job.evalEpisodes > 0) {
    // Held-out seed: evaluation episodes never replay a training episode's draws.
    const outcome = simulate(model, job.config, { episodes: job.evalEpisodes, seed: (job.seed + 0x9e3779b9) >>> 0 });
    evaluation = {
      episodes: job.evalEpisodes,
      reward_mean: outcome.aggregates.episode_reward_mean,
      total_wealth_mean: outcome.aggregates.total_wealth_mean
    };
  }
  // The baselines of every completed run, here in the worker (they cost a fraction of the training).
  let lastAlive = Date.now();
  const alive = () => {
    if (Date.now() - lastAlive < ALIVE_MS) return;
    lastAlive = Date.now();
    post({ type: 'alive', jobId });
  };
  const baselines = model && !stopped ? runBaselines(model, job.config, job.seed, { onProgress: alive }) : null;
  return { model, episodesCompleted: completed, stopped, evaluation, baselines };
}

async function run(jobId: string, job: Job): Promise<void> {
  const abort = new AbortController();
  current = { jobId, abort };
  unacked = 0;
  try {
    if (job.kind === 'train') {
      post({ type: 'trained', jobId, outcome: await train(jobId, job, abort.signal) });
    } else {
      postUpdate({ type: 'started', jobId });
      const { model, config, episodes, seed } = job as SimulateJob;
      post({ type: 'simulated', jobId, outcome: simulate(model, config, { episodes, seed }) });
    }
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', jobId, error: { name: err.name, message: err.message, details: err.stack ?? err.message } });
  } finally {
    current = null;
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') void run(message.jobId, message.job);
  else if (message.type === 'ack' && current?.jobId === message.jobId) {
    unacked = Math.max(0, unacked - 1);
    credit();
  } else if (message.type === 'stop' && current?.jobId === message.jobId) {
    current.abort.abort();
    credit();
  }
});
post({ type: 'ready' });
