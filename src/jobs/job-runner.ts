import type { FromWorker, Job } from '../training/messages.js';

/** What a job reports while it runs. */
export type JobUpdate = Extract<FromWorker, { type: 'started' | 'episodes' | 'checkpoint' }>;
/** What a job that ran to its end (or stopped early when asked) produced. */
export type JobOutcome = Extract<FromWorker, { type: 'trained' | 'simulated' }>;

export type JobState = 'queued' | 'running' | 'done';

export interface SubmitOptions {
  /**
   * Aborting removes a queued job (its outcome rejects with JobCancelledError) and asks a
   * running one to stop between episodes (a training job then resolves with what it has).
   */
  signal?: AbortSignal;
  /**
   * Called per update; a returned promise counts as the update being handled until it
   * settles. An executor has at most MAX_UNACKED_UPDATES unhandled, then pauses the job,
   * so a slow caller bounds what a job can queue to it.
   */
  onUpdate?: (update: JobUpdate) => unknown;
}

export interface JobHandle {
  readonly jobId: string;
  readonly state: JobState;
  /**
   * Settles once. Rejects with JobCancelledError when the job never ran to its end because
   * it was aborted while queued or the runner closed, with JobFailedError when it threw,
   * its executor died or stopped responding.
   */
  readonly outcome: Promise<JobOutcome>;
}

/**
 * The seam between the services and whatever executes CPU-heavy jobs (training,
 * simulation): worker threads in this process today. Implementations must start jobs
 * in submission order (FIFO), honour the AbortSignal for queued and running jobs, turn
 * an executor that dies into JobFailedError without losing later jobs, and on close
 * cancel whatever has not finished. test/jobs/job-runner-contract.ts checks all of it.
 */
export interface JobRunner {
  /** Whether a job submitted now would start at once rather than wait in the queue. */
  readonly hasIdleCapacity: boolean;
  submit(job: Job, options?: SubmitOptions): JobHandle;
  /** Cancels queued and running jobs and releases the executors. Idempotent. */
  close(): Promise<void>;
}

export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
  constructor(readonly reason: 'aborted' | 'closed') {
    super(reason === 'aborted' ? 'the job was cancelled before it started' : 'the job runner closed');
  }
}

export class JobFailedError extends Error {
  override name = 'JobFailedError';
  /** `crashed`: the executor died or was terminated as hung, rather than the job throwing. */
  constructor(
    message: string,
    readonly details: string,
    readonly crashed: boolean
  ) {
    super(message);
  }
}
