import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  JobCancelledError,
  JobFailedError,
  type JobHandle,
  type JobOutcome,
  type JobRunner,
  type JobState,
  type JobUpdate,
  type SubmitOptions
} from '../jobs/job-runner.js';
import type { FromWorker, Job, ToWorker } from './messages.js';

interface Task {
  jobId: string;
  job: Job;
  /** Settles when the update was handled; the worker is then told it may send another. */
  onUpdate: (update: JobUpdate) => unknown;
  state: JobState;
  /** Settles the handle's outcome once and detaches from the caller's signal. */
  settle: (result: JobOutcome | Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  /** When the worker last said anything; the watchdog compares against it. */
  lastHeard: number;
  hung: boolean;
  /** Whether the worker finished loading; loading (seconds from TypeScript source) is not a hang. */
  ready: boolean;
}

/** A worker still loading its code after this long is considered hung whatever the job timeout. */
const STARTUP_ALLOWANCE_MS = 60_000;

// From source (tests, scripts) the TypeScript entry is loaded through tsx; from dist, directly.
const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
const script = fromSource ? new URL('./worker-bootstrap.mjs', import.meta.url) : entry;

/**
 * The worker-thread JobRunner: a fixed number of worker threads, each running one job at
 * a time; jobs beyond the pool wait in a FIFO queue. A worker that dies is replaced and
 * its job fails cleanly.
 */
export class WorkerPool implements JobRunner {
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  readonly #timeoutMs: number;
  readonly #watchdog: NodeJS.Timeout | null;
  #closed = false;

  /** `timeoutMs`: a busy worker silent this long is terminated and replaced (0: never). */
  constructor(options: { size: number; timeoutMs?: number }) {
    this.#size = options.size;
    this.#timeoutMs = options.timeoutMs ?? 0;
    this.#watchdog = this.#timeoutMs > 0 ? setInterval(() => this.#checkHung(), Math.min(1000, this.#timeoutMs / 4)) : null;
    this.#watchdog?.unref();
  }

  /** Whether a job submitted now would start at once. */
  get hasIdleCapacity(): boolean {
    return this.#queue.length === 0 && (this.#slots.length < this.#size || this.#slots.some((slot) => slot.task === null));
  }

  submit(job: Job, options: SubmitOptions = {}): JobHandle {
    const { signal, onUpdate = () => {} } = options;
    const jobId = randomUUID();
    let resolve!: (outcome: JobOutcome) => void;
    let reject!: (error: Error) => void;
    const outcome = new Promise<JobOutcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const onAbort = () => this.#abort(task);
    const task: Task = {
      jobId,
      job,
      onUpdate,
      state: 'queued',
      settle: (result) => {
        if (task.state === 'done') return;
        task.state = 'done';
        signal?.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolve(result);
      }
    };
    const handle: JobHandle = {
      jobId,
      outcome,
      get state() {
        return task.state;
      }
    };
    if (this.#closed) task.settle(new JobCancelledError('closed'));
    else if (signal?.aborted) task.settle(new JobCancelledError('aborted'));
    else {
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(task);
      this.#dispatch();
    }
    return handle;
  }

  /** Terminates every worker that is running a job, as a crash would (fault injection for tests and operators). */
  async terminateBusyWorkers(): Promise<number> {
    const busy = this.#slots.filter((slot) => slot.task !== null);
    await Promise.all(busy.map((slot) => slot.worker.terminate()));
    return busy.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    for (const task of this.#queue.splice(0)) task.settle(new JobCancelledError('closed'));
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  /** A queued job leaves the queue at once; a running one is asked to stop between episodes. */
  #abort(task: Task): void {
    if (task.state === 'queued') {
      this.#queue.splice(this.#queue.indexOf(task), 1);
      task.settle(new JobCancelledError('aborted'));
      return;
    }
    const slot = this.#slots.find((s) => s.task === task);
    slot?.worker.postMessage({ type: 'stop', jobId: task.jobId } satisfies ToWorker);
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.task === null);
      if (!slot && this.#slots.length < this.#size) slot = this.#spawn();
      if (!slot) return;
      const task = this.#queue.shift()!;
      slot.task = task;
      slot.lastHeard = Date.now();
      task.state = 'running';
      slot.worker.postMessage({ type: 'run', jobId: task.jobId, job: task.job } satisfies ToWorker);
    }
  }

  /** Terminates busy workers that have been silent too long (an endless episode, a deadlock). */
  #checkHung(): void {
    const now = Date.now();
    for (const slot of this.#slots) {
      const allowed = slot.ready ? this.#timeoutMs : Math.max(this.#timeoutMs, STARTUP_ALLOWANCE_MS);
      if (slot.task && !slot.hung && now - slot.lastHeard > allowed) {
        slot.hung = true;
        void slot.worker.terminate();
      }
    }
  }

  #spawn(): Slot {
    const worker = new Worker(script, { workerData: { entry: entry.href } });
    const slot: Slot = { worker, task: null, lastHeard: Date.now(), hung: false, ready: false };
    this.#slots.push(slot);
    worker.on('message', (message: FromWorker) => {
      slot.lastHeard = Date.now();
      if (message.type === 'ready') slot.ready = true;
      const task = slot.task;
      if (message.type === 'ready' || message.type === 'alive' || !task || message.jobId !== task.jobId) return;
      if (message.type === 'started' || message.type === 'episodes' || message.type === 'checkpoint') {
        const ack = () => {
          if (slot.task === task) worker.postMessage({ type: 'ack', jobId: task.jobId } satisfies ToWorker);
        };
        void Promise.resolve()
          .then(() => task.onUpdate(message))
          .then(ack, ack);
        return;
      }
      slot.task = null;
      task.settle(message.type === 'failed' ? new JobFailedError(message.error.message, message.error.details, false) : message);
      this.#dispatch();
    });
    let failure: Error | null = null;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      const task = slot.task;
      slot.task = null;
      if (task && this.#closed) task.settle(new JobCancelledError('closed'));
      else if (task) {
        const reason = slot.hung
          ? `no message for over ${this.#timeoutMs} ms; the watchdog terminated it`
          : failure
            ? `${failure.name}: ${failure.message}`
            : `exit code ${code}`;
        const message = slot.hung ? 'the training worker stopped responding and was replaced' : 'the training worker stopped unexpectedly';
        task.settle(new JobFailedError(message, reason, true));
      }
      if (!this.#closed) this.#dispatch();
    });
    return slot;
  }
}
