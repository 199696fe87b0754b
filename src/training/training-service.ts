import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { EventBus, PublishRequest } from '../bus/event-bus.js';
import type { FinalMetrics, RunEventType } from '../contracts/events.js';
import { MAX_SEED, type Run, type StartTrainingRequest } from '../contracts/training.js';
import { conflict, notFound, ServiceBusyError } from '../errors.js';
import { resolveTrainingSettings, type EpisodeMetrics, type HrlModel, type ScenarioConfig } from '../hrl/index.js';
import { ActiveRunConflictError, ConflictError, ModelNameReservedError, type RunRecord, type Storage } from '../storage/index.js';
import type { TrainJob, TrainOutcome } from './messages.js';
import { RollingMetrics, progressBatchMs } from './progress.js';
import { JobCancelledError, JobFailedError, type JobHandle, type JobOutcome, type JobRunner, type JobUpdate } from '../jobs/job-runner.js';

/** What the routes and the gateway need of training, whichever process executes the runs. */
export interface Training {
  start(body: StartTrainingRequest): Promise<{ run: RunRecord; status: 'started' | 'queued' }>;
  stop(runId?: string): Promise<{ run: RunRecord; status: 'stopping' | 'stopped' }>;
  /** The run shown by the original's status route: an active one, else the most recent. */
  currentOrLatest(): Promise<RunRecord | undefined>;
  /** The live view of a run when this process holds it, else undefined (storage has it). */
  activeRecord(runId: string): RunRecord | undefined;
  /** Runs this process holds (admitted and not yet ended here). */
  readonly activeCount: number;
  /** Graceful shutdown: stops the runs this process executes and waits for their terminal events. */
  stopAll(): Promise<void>;
}

/** Hooks of the scaled deployment, where a run's end may be decided by another process. */
export interface RunLifecycle {
  /**
   * Called before a run's terminal state is stored: false when another process already
   * ended it (its stalled-run detection), so no second terminal event goes out.
   */
  claimEnd(record: RunRecord): Promise<boolean>;
}

export interface TrainingServiceOptions {
  storage: Storage;
  bus: EventBus;
  runner: JobRunner;
  /** Maximum training_progress events per second per run. */
  progressHz: number;
  /** Runs allowed to wait for a worker (per deployment); a start beyond is refused with 503. */
  maxQueuedRuns?: number;
  /** Least time between two checkpoints of a run (save_interval is honoured up to this rate). */
  checkpointMinMs: number;
  log: FastifyBaseLogger;
  lifecycle?: RunLifecycle;
}

/** What a client refused by a full run queue is told to wait before trying again. */
export const QUEUE_FULL_RETRY_AFTER_S = 30;

/** A run that has not ended yet. */
interface ActiveRun {
  record: RunRecord;
  handle: JobHandle | null;
  /** Aborted to stop the run: a queued job is dropped, a running one stops between episodes. */
  abort: AbortController;
  metrics: RollingMetrics;
  startedMs: number;
  lastProgressMs: number;
  /** Episodes arrived since the last published progress. */
  progressDirty: boolean;
  progressTimer: NodeJS.Timeout | null;
  stopRequested: boolean;
  /** Who asked first: reported as training_stopped's `reason`. */
  stopReason: 'user' | 'shutdown' | null;
  /** Serializes the handling of this run's worker messages (history, events, terminal). */
  chain: Promise<void>;
  /** Resolves once the run has ended and its terminal event was handed to the bus. */
  ended: Promise<void>;
  markEnded: () => void;
}

/** Runs training jobs on the job runner and turns what workers report into runs, history and events. */
export class TrainingService implements Training {
  readonly #storage: Storage;
  readonly #bus: EventBus;
  readonly #runner: JobRunner;
  readonly #minProgressMs: number;
  readonly #batchMs: number;
  readonly #checkpointMinMs: number;
  readonly #log: FastifyBaseLogger;
  readonly #maxQueuedRuns: number;
  readonly #lifecycle: RunLifecycle | undefined;
  readonly #active = new Map<string, ActiveRun>();
  /** Scenario name → run id of its active run (one active run per scenario). */
  readonly #activeByScenario = new Map<string, string>();
  /** Model names requested by active runs, reserved until they are saved. */
  readonly #reservedModelNames = new Set<string>();

  constructor(options: TrainingServiceOptions) {
    this.#storage = options.storage;
    this.#bus = options.bus;
    this.#runner = options.runner;
    this.#minProgressMs = 1000 / options.progressHz;
    this.#batchMs = progressBatchMs(options.progressHz);
    this.#maxQueuedRuns = options.maxQueuedRuns ?? Number.POSITIVE_INFINITY;
    this.#checkpointMinMs = options.checkpointMinMs;
    this.#log = options.log;
    this.#lifecycle = options.lifecycle;
  }

  /** 503 when the run would wait for a worker and `queued` runs already do. */
  #checkQueue(queued: number): void {
    if (queued < this.#maxQueuedRuns || this.#runner.hasIdleCapacity) return;
    throw new ServiceBusyError(
      'HRL_QUEUE_FULL',
      `the run queue is full: ${queued} runs are waiting for a worker (limit ${this.#maxQueuedRuns}, HRL_MAX_QUEUED_RUNS); try again when a run has finished`,
      QUEUE_FULL_RETRY_AFTER_S
    );
  }

  /** Marks runs left active by a previous process as interrupted, each with a terminal training_error. */
  async recoverInterrupted(): Promise<number> {
    const stale = await this.#storage.runs.findByStatus(['queued', 'running']);
    for (const run of stale) {
      const episodes = await this.#storage.episodes.count(run.run_id);
      const message = 'run interrupted: the service stopped while it was active';
      await this.#storage.runs.update(run.run_id, {
        status: 'interrupted',
        finished_at: new Date().toISOString(),
        episodes_completed: episodes,
        error: message
      });
      await this.#publish(run, 'training_error', {
        message,
        details: `status was ${run.status} when the service restarted; ${episodes} episodes are in the run's history`,
        scenario_name: run.scenario_name,
        episodes_completed: episodes
      });
    }
    return stale.length;
  }

  async start(body: StartTrainingRequest): Promise<{ run: RunRecord; status: 'started' | 'queued' }> {
    const scenario = await this.#storage.scenarios.get(body.scenario_name);
    if (!scenario) throw notFound('scenario', body.scenario_name);
    // The stored count covers runs queued by every process of the deployment.
    if (Number.isFinite(this.#maxQueuedRuns)) {
      this.#checkQueue((await this.#storage.runs.list({ status: 'queued', limit: 1, offset: 0 })).total);
    }
    if (body.model_name !== undefined) {
      if (this.#reservedModelNames.has(body.model_name) || (await this.#storage.models.exists(body.model_name))) {
        throw modelExists(body.model_name);
      }
    }
    // Checked and reserved with no await in between, so two concurrent starts cannot both win.
    const activeId = this.#activeByScenario.get(body.scenario_name);
    if (activeId) throw runActive(body.scenario_name, activeId);
    if (body.model_name !== undefined && this.#reservedModelNames.has(body.model_name)) throw modelExists(body.model_name);
    // Again with no await before the reservation, so concurrent starts here cannot overshoot:
    // every reserved run not yet running counts as waiting.
    let running = 0;
    for (const run of this.#active.values()) if (run.record.status === 'running') running++;
    this.#checkQueue(this.#activeByScenario.size - running);
    const startsNow = this.#runner.hasIdleCapacity;
    const { record, job } = newRun(body, scenario.config, { checkpointMinMs: this.#checkpointMinMs, batchMs: this.#batchMs, startsNow });
    this.#activeByScenario.set(body.scenario_name, record.run_id);
    if (body.model_name !== undefined) this.#reservedModelNames.add(body.model_name);
    const active = newActive(record);
    try {
      await this.#storage.runs.create(record);
    } catch (error) {
      this.#release(active);
      throw admissionError(error, body);
    }
    this.#launch(active, job);
    return { run: record, status: startsNow ? 'started' : 'queued' };
  }

  /**
   * Executes a run another process admitted and stored (a trainer of the scaled
   * deployment). Registered before it returns, so a stop right after finds it; resolves
   * once the run has ended and its terminal event was handed to the bus.
   */
  adopt(record: RunRecord, job: TrainJob): Promise<void> {
    const active = newActive({ ...record });
    this.#activeByScenario.set(record.scenario_name, record.run_id);
    this.#launch(active, job);
    return active.ended;
  }

  #launch(active: ActiveRun, job: TrainJob): void {
    this.#active.set(active.record.run_id, active);
    active.handle = this.#runner.submit(job, {
      signal: active.abort.signal,
      onUpdate: (update) => this.#enqueue(active, () => this.#onUpdate(active, update))
    });
    void active.handle.outcome.then(
      (outcome) => this.#enqueue(active, () => this.#onResult(active, { outcome })),
      (error: unknown) => this.#enqueue(active, () => this.#onResult(active, { error }))
    );
  }

  /** Stops a run (the only active one when no id is given). */
  async stop(runId?: string): Promise<{ run: RunRecord; status: 'stopping' | 'stopped' }> {
    let active: ActiveRun | undefined;
    if (runId === undefined) {
      if (this.#active.size === 0) throw conflict('HRL_NO_ACTIVE_RUN', 'no training run is active');
      if (this.#active.size > 1) {
        throw conflict('HRL_RUN_ID_REQUIRED', `${this.#active.size} runs are active; give run_id to choose one`);
      }
      active = this.#active.values().next().value;
    } else {
      active = this.#active.get(runId);
      if (!active) {
        const stored = await this.#storage.runs.get(runId);
        if (!stored) throw notFound('run', runId);
        throw conflict('HRL_RUN_FINISHED', `run ${runId} already ended with status ${stored.status}`);
      }
    }
    const run = active!;
    run.stopRequested = true;
    run.stopReason ??= 'user';
    const wasQueued = run.handle?.state === 'queued';
    run.abort.abort();
    if (wasQueued) {
      await run.ended;
      return { run: run.record, status: 'stopped' };
    }
    return { run: run.record, status: 'stopping' };
  }

  /** The run shown by the original's status route: an active one, else the most recent. */
  async currentOrLatest(): Promise<RunRecord | undefined> {
    let best: RunRecord | undefined;
    for (const { record } of this.#active.values()) {
      if (record.status !== 'running') continue;
      if (!best || (record.started_at ?? '') > (best.started_at ?? '')) best = record;
    }
    if (best) return best;
    const queued = [...this.#active.values()][0]?.record;
    return queued ?? (await this.#storage.runs.latest());
  }

  /** The live view of a run when it is active, else undefined. */
  activeRecord(runId: string): RunRecord | undefined {
    return this.#active.get(runId)?.record;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Stops every active run and waits for their terminal events (graceful shutdown). */
  async stopAll(): Promise<void> {
    const runs = [...this.#active.values()];
    for (const run of runs) {
      run.stopRequested = true;
      run.stopReason ??= 'shutdown';
      run.abort.abort();
    }
    await Promise.all(runs.map((r) => r.ended));
  }

  // ---- worker reports -------------------------------------------------------------------

  /** Resolves once this step ran: the worker pool acknowledges an update only then (flow control). */
  #enqueue(run: ActiveRun, step: () => Promise<void>): Promise<void> {
    run.chain = run.chain.then(step).catch((error: unknown) => {
      this.#log.error({ err: error, run_id: run.record.run_id }, 'training run bookkeeping failed');
    });
    return run.chain;
  }

  async #onUpdate(run: ActiveRun, update: JobUpdate): Promise<void> {
    const record = run.record;
    switch (update.type) {
      case 'started': {
        if (update.settings) {
          record.training_settings = update.settings;
          await this.#storage.runs.update(record.run_id, { training_settings: update.settings });
        }
        if (record.status !== 'running') {
          record.status = 'running';
          record.started_at = new Date().toISOString();
          await this.#storage.runs.update(record.run_id, { status: 'running', started_at: record.started_at });
        }
        run.startedMs = Date.now();
        await this.#publish(record, 'training_started', {
          run_id: record.run_id,
          scenario_name: record.scenario_name,
          num_episodes: record.num_episodes,
          start_time: record.started_at!,
          seed: record.seed,
          ...(record.training_settings && { training_settings: record.training_settings })
        });
        return;
      }
      case 'episodes':
        return this.#onEpisodes(run, update.metrics);
      case 'checkpoint':
        await this.#storage.runs.saveCheckpoint(record.run_id, update.episode, update.model);
        return;
    }
  }

  async #onEpisodes(run: ActiveRun, metrics: EpisodeMetrics[]): Promise<void> {
    await this.#storage.episodes.append(run.record.run_id, metrics);
    for (const m of metrics) {
      run.metrics.add(m);
      // Episode 1 is always published, with the window as it was then.
      if (m.episode === 1) this.#publishProgress(run);
      else run.progressDirty = true;
    }
    run.record.episodes_completed = run.metrics.episode;
    this.#scheduleProgress(run);
  }

  /**
   * Publishes now if the interval has passed, else once it has. The timer's publication is
   * queued behind the run's other work, so it checks again when it runs: a batch handled in
   * between may already have published (and a timer may fire a millisecond early).
   */
  #scheduleProgress(run: ActiveRun): void {
    if (!run.progressDirty) return;
    const wait = run.lastProgressMs + this.#minProgressMs - Date.now();
    if (wait <= 0) this.#publishProgress(run);
    else if (!run.progressTimer) {
      const timer = setTimeout(
        () =>
          this.#enqueue(run, async () => {
            if (run.progressTimer === timer) run.progressTimer = null;
            this.#scheduleProgress(run);
          }),
        wait
      );
      run.progressTimer = timer;
    }
  }

  /** Publishes the run's current rolling progress (at most progress_hz per second). */
  #publishProgress(run: ActiveRun): void {
    if (run.progressTimer) {
      clearTimeout(run.progressTimer);
      run.progressTimer = null;
    }
    if (run.metrics.episode === 0) return;
    run.progressDirty = false;
    run.lastProgressMs = Date.now();
    const data = run.metrics.progress(run.record.num_episodes, (run.lastProgressMs - run.startedMs) / 1000);
    run.record.latest_progress = data;
    void this.#publish(run.record, 'training_progress', data);
    void this.#storage.runs
      .update(run.record.run_id, { episodes_completed: data.episode, latest_progress: data })
      .catch((error: unknown) => this.#log.error({ err: error }, 'could not store run progress'));
  }

  async #onResult(run: ActiveRun, result: { outcome: JobOutcome } | { error: unknown }): Promise<void> {
    // The last completed episode's progress always precedes the terminal event.
    if (run.progressDirty) this.#publishProgress(run);
    else if (run.progressTimer) clearTimeout(run.progressTimer);
    try {
      if ('outcome' in result) {
        if (result.outcome.type === 'trained') await this.#finishTrained(run, result.outcome.outcome);
        else await this.#finishFailed(run, 'unexpected job result', result.outcome.type);
      } else if (result.error instanceof JobCancelledError) await this.#finishStopped(run, null, 0);
      else if (result.error instanceof JobFailedError) await this.#finishFailed(run, result.error.message, result.error.details);
      else await this.#finishFailed(run, 'the training job failed', String(result.error));
    } catch (error) {
      // Saving failed (e.g. the database): the run still ends, with an error.
      const err = error instanceof Error ? error : new Error(String(error));
      await this.#finishFailed(run, 'could not save the training result', err.message);
    } finally {
      run.markEnded();
    }
  }

  async #finishTrained(run: ActiveRun, outcome: TrainOutcome): Promise<void> {
    const record = run.record;
    const finalMetrics = { ...run.metrics.final(outcome.evaluation), ...(outcome.baselines && { baselines: outcome.baselines }) };
    const modelName = outcome.model ? await this.#saveModel(run, outcome, finalMetrics) : null;
    if (outcome.stopped) return this.#finishStopped(run, modelName, outcome.episodesCompleted);
    const ended = await this.#end(run, {
      status: 'completed',
      model_name: modelName,
      episodes_completed: outcome.episodesCompleted,
      ...(outcome.baselines && { baselines: outcome.baselines })
    });
    if (!ended) return;
    await this.#publish(record, 'training_completed', {
      scenario_name: record.scenario_name,
      episodes_completed: outcome.episodesCompleted,
      final_metrics: finalMetrics,
      model_name: modelName!,
      duration_s: (Date.now() - run.startedMs) / 1000
    });
  }

  async #finishStopped(run: ActiveRun, modelName: string | null, episodes: number): Promise<void> {
    if (!(await this.#end(run, { status: 'stopped', model_name: modelName, episodes_completed: episodes }))) return;
    await this.#publish(run.record, 'training_stopped', {
      scenario_name: run.record.scenario_name,
      episodes_completed: episodes,
      model_name: modelName,
      ...(run.stopReason && { reason: run.stopReason })
    });
  }

  async #finishFailed(run: ActiveRun, message: string, details: string): Promise<void> {
    const episodes = run.metrics.episode;
    if (!(await this.#end(run, { status: 'failed', episodes_completed: episodes, error: `${message}: ${details.split('\n')[0]}` }))) return;
    await this.#publish(run.record, 'training_error', {
      message,
      details,
      scenario_name: run.record.scenario_name,
      episodes_completed: episodes
    });
  }

  /** Stores the final state and frees the scenario before the terminal event goes out (docs/protocol.md). */
  async #end(run: ActiveRun, patch: Pick<Run, 'status' | 'episodes_completed'> & Partial<Pick<Run, 'model_name' | 'error' | 'baselines'>>): Promise<boolean> {
    if (this.#lifecycle && !(await this.#claimEnd(run))) {
      this.#release(run);
      return false;
    }
    Object.assign(run.record, patch, { finished_at: new Date().toISOString() });
    try {
      await this.#storage.runs.update(run.record.run_id, { ...patch, finished_at: run.record.finished_at });
    } finally {
      this.#release(run);
    }
    return true;
  }

  /** A failing claim (Redis unreachable) counts as won: the run must end rather than stay running. */
  async #claimEnd(run: ActiveRun): Promise<boolean> {
    try {
      return await this.#lifecycle!.claimEnd(run.record);
    } catch (error) {
      this.#log.error({ err: error, run_id: run.record.run_id }, 'could not claim the end of the run; ending it here');
      return true;
    }
  }

  #release(run: ActiveRun): void {
    const { run_id, scenario_name, requested_model_name } = run.record;
    this.#active.delete(run_id);
    if (this.#activeByScenario.get(scenario_name) === run_id) this.#activeByScenario.delete(scenario_name);
    if (requested_model_name) this.#reservedModelNames.delete(requested_model_name);
  }

  /** Saves the run's model under its own name; an existing model is never overwritten. */
  async #saveModel(run: ActiveRun, outcome: TrainOutcome, finalMetrics: FinalMetrics): Promise<string> {
    const record = run.record;
    const base = record.requested_model_name ?? `${record.scenario_name}-${record.run_id}`;
    const model = outcome.model as HrlModel;
    const entry = {
      scenario_name: record.scenario_name,
      run_id: record.run_id,
      created_at: new Date().toISOString(),
      episodes: outcome.episodesCompleted,
      final_metrics: finalMetrics,
      model
    };
    try {
      await this.#storage.models.insert({ name: base, ...entry });
      return base;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const name = `${base}-${record.run_id}`;
      await this.#storage.models.insert({ name, ...entry });
      return name;
    }
  }

  async #publish<K extends RunEventType>(
    run: Pick<RunRecord, 'run_id' | 'scenario_name'>,
    type: K,
    data: PublishRequest<K>['data']
  ): Promise<void> {
    try {
      await this.#bus.publish({ run_id: run.run_id, scenario_name: run.scenario_name, type, data });
    } catch (error) {
      this.#log.error({ err: error, run_id: run.run_id, type }, 'could not publish run event');
    }
  }
}

export const modelExists = (name: string) => conflict('HRL_MODEL_EXISTS', `model ${JSON.stringify(name)} already exists; choose another model_name`);
const runActive = (scenario: string, runId: string | undefined) =>
  conflict('HRL_RUN_ACTIVE', `scenario ${JSON.stringify(scenario)} already has an active run${runId ? ` (${runId})` : ''}; stop it first`);

/**
 * A run's record refused by the database's admission rules (they hold across processes)
 * gets the same 409s as the checks made before it; any other error is returned as is.
 */
export function admissionError(error: unknown, body: StartTrainingRequest): unknown {
  if (error instanceof ActiveRunConflictError) return runActive(body.scenario_name, error.activeRunId);
  if (error instanceof ModelNameReservedError) return modelExists(body.model_name ?? '');
  return error;
}

/** A new run's record and its training job, the same wherever it is admitted and executed. */
export function newRun(
  body: StartTrainingRequest,
  config: ScenarioConfig,
  options: { checkpointMinMs: number; batchMs: number; startsNow: boolean }
): { record: RunRecord; job: TrainJob } {
  const now = new Date().toISOString();
  // Without num_episodes the scenario's settings decide (training.auto budget, or its file count);
  // the worker resolves the same settings from the same config and reports them when it starts.
  const settings = resolveTrainingSettings(config, { episodes: body.num_episodes });
  const record: RunRecord = {
    run_id: newRunId(),
    scenario_name: body.scenario_name,
    status: options.startsNow ? 'running' : 'queued',
    num_episodes: settings.num_episodes,
    episodes_completed: 0,
    seed: body.seed ?? randomInt(0, MAX_SEED),
    created_at: now,
    started_at: options.startsNow ? now : null,
    finished_at: null,
    model_name: null,
    latest_progress: null,
    error: null,
    save_interval: body.save_interval,
    eval_episodes: body.eval_episodes,
    requested_model_name: body.model_name ?? null,
    config
  };
  const job: TrainJob = {
    kind: 'train',
    config,
    episodes: body.num_episodes,
    seed: record.seed,
    saveInterval: body.save_interval,
    checkpointMinMs: options.checkpointMinMs,
    evalEpisodes: body.eval_episodes,
    batchMs: options.batchMs
  };
  return { record, job };
}

function newActive(record: RunRecord): ActiveRun {
  let markEnded!: () => void;
  return {
    record,
    handle: null,
    abort: new AbortController(),
    metrics: new RollingMetrics(),
    startedMs: Date.now(),
    lastProgressMs: 0,
    progressDirty: false,
    progressTimer: null,
    stopRequested: false,
    stopReason: null,
    chain: Promise.resolve(),
    ended: new Promise<void>((r) => (markEnded = r)),
    markEnded
  };
}

/** Sortable, unique even within one millisecond: time prefix plus 64 random bits. */
function newRunId(): string {
  return `run_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;
}
