import type { StartTrainingRequest } from '../contracts/training.js';
import { conflict, notFound, ServiceBusyError } from '../errors.js';
import type { RunRecord, Storage } from '../storage/index.js';
import type { ClusterRuns } from './cluster-runs.js';
import { progressBatchMs } from './progress.js';
import { admissionError, modelExists, newRun, QUEUE_FULL_RETRY_AFTER_S, type Training } from './training-service.js';

export interface ClusterTrainingOptions {
  storage: Storage;
  cluster: ClusterRuns;
  progressHz: number;
  checkpointMinMs: number;
  /** Runs waiting for a trainer, per deployment (the stored count). */
  maxQueuedRuns: number;
}

/**
 * Training as a gateway of the scaled deployment sees it: admission across processes
 * (the database's constraints), runs handed to trainers through the run queue,
 * stops sent to whichever trainer holds the run. The gateway executes nothing, so it holds
 * no run's state: a gateway killed mid-run loses nothing but its sockets.
 */
export class ClusterTraining implements Training {
  readonly #storage: Storage;
  readonly #cluster: ClusterRuns;
  readonly #batchMs: number;
  readonly #checkpointMinMs: number;
  readonly #maxQueuedRuns: number;

  constructor(options: ClusterTrainingOptions) {
    this.#storage = options.storage;
    this.#cluster = options.cluster;
    this.#batchMs = progressBatchMs(options.progressHz);
    this.#checkpointMinMs = options.checkpointMinMs;
    this.#maxQueuedRuns = options.maxQueuedRuns;
  }

  async start(body: StartTrainingRequest): Promise<{ run: RunRecord; status: 'started' | 'queued' }> {
    const scenario = await this.#storage.scenarios.get(body.scenario_name);
    if (!scenario) throw notFound('scenario', body.scenario_name);
    // A gateway cannot see whether a trainer is idle: a run counts as waiting until one takes it.
    const queued = (await this.#storage.runs.list({ status: 'queued', limit: 1, offset: 0 })).total;
    if (queued > 0 && queued >= this.#maxQueuedRuns) {
      throw new ServiceBusyError(
        'HRL_QUEUE_FULL',
        `the run queue is full: ${queued} runs are waiting for a trainer (limit ${this.#maxQueuedRuns}, HRL_MAX_QUEUED_RUNS); try again when a run has finished`,
        QUEUE_FULL_RETRY_AFTER_S
      );
    }
    if (body.model_name !== undefined && (await this.#storage.models.exists(body.model_name))) throw modelExists(body.model_name);
    const { record, job } = newRun(body, scenario.config, { checkpointMinMs: this.#checkpointMinMs, batchMs: this.#batchMs, startsNow: false });
    // The database admits one active run per scenario and per requested model name, whichever gateway asks.
    try {
      await this.#storage.runs.create(record);
    } catch (error) {
      throw admissionError(error, body);
    }
    try {
      await this.#cluster.runQueue.add('run', { runId: record.run_id, job }, { jobId: record.run_id, removeOnComplete: true, removeOnFail: true });
    } catch (error) {
      await this.#cluster.endRun(record, 'failed', { message: 'the run could not be queued', details: String(error), episodes: 0 }).catch(() => {});
      throw error;
    }
    return { run: record, status: 'queued' };
  }

  async stop(runId?: string): Promise<{ run: RunRecord; status: 'stopping' | 'stopped' }> {
    let run: RunRecord | undefined;
    if (runId === undefined) {
      const active = await this.#storage.runs.findByStatus(['queued', 'running']);
      if (active.length === 0) throw conflict('HRL_NO_ACTIVE_RUN', 'no training run is active');
      if (active.length > 1) throw conflict('HRL_RUN_ID_REQUIRED', `${active.length} runs are active; give run_id to choose one`);
      run = active[0]!;
    } else {
      run = await this.#storage.runs.get(runId);
      if (!run) throw notFound('run', runId);
      if (run.status !== 'queued' && run.status !== 'running') {
        throw conflict('HRL_RUN_FINISHED', `run ${runId} already ended with status ${run.status}`);
      }
    }
    // Still in the queue: removed here, and ended here. Taken by a trainer: it is asked to stop.
    if (run.status === 'queued' && (await this.#cluster.runQueue.remove(run.run_id)) === 1) {
      await this.#cluster.endRun(run, 'stopped', { episodes: 0 });
      return { run: { ...run, status: 'stopped', finished_at: new Date().toISOString() }, status: 'stopped' };
    }
    await this.#cluster.requestStop(run.run_id);
    return { run, status: 'stopping' };
  }

  async currentOrLatest(): Promise<RunRecord | undefined> {
    const active = await this.#storage.runs.findByStatus(['running', 'queued']);
    let best: RunRecord | undefined;
    for (const run of active) {
      if (run.status !== 'running') continue;
      if (!best || (run.started_at ?? '') > (best.started_at ?? '')) best = run;
    }
    return best ?? active[0] ?? (await this.#storage.runs.latest());
  }

  activeRecord(): RunRecord | undefined {
    return undefined;
  }

  get activeCount(): number {
    return 0;
  }

  /** Runs go on on their trainers when a gateway stops. */
  async stopAll(): Promise<void> {}
}
