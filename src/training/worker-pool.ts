import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { FromWorker, Job, ToWorker } from './messages.js';

/** Messages a job reports while it runs. */
export type JobUpdate = Extract<FromWorker, { type: 'started' | 'episodes' | 'checkpoint' }>;
/** The single message that ends a job. */
export type JobResult = Extract<FromWorker, { type: 'trained' | 'simulated' | 'failed' }>;

export interface JobHandle {
  readonly jobId: string;
  /** Settles once with the job's last message; a crashed worker yields `failed`. Never rejects. */
  readonly done: Promise<JobResult>;
  readonly state: 'queued' | 'running' | 'done';
  /** Asks a running job to stop between episodes; removes a queued one. */
  stop(): 'stopping' | 'cancelled' | 'done';
}

interface Task {
  jobId: string;
  job: Job;
  onUpdate: (update: JobUpdate) => void;
  resolve: (result: JobResult) => void;
  handle: { state: 'queued' | 'running' | 'done' };
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
 * A fixed number of worker threads, each running one job at a time; jobs beyond the
 * pool wait in a FIFO queue. A worker that dies is replaced and its job fails cleanly.
 */
export class WorkerPool {
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

  get size(): number {
    return this.#size;
  }

  /** Whether a job submitted now would start at once. */
  get hasIdleWorker(): boolean {
    return this.#slots.length < this.#size || this.#slots.some((s) => s.task === null);
  }

  get queued(): number {
    return this.#queue.length;
  }

  submit(job: Job, onUpdate: (update: JobUpdate) => void = () => {}): JobHandle {
    if (this.#closed) throw new Error('worker pool is closed');
    const jobId = randomUUID();
    const handle = { state: 'queued' as 'queued' | 'running' | 'done' };
    let resolve!: (r: JobResult) => void;
    const done = new Promise<JobResult>((r) => (resolve = r));
    const task: Task = {
      jobId,
      job,
      onUpdate,
      resolve: (result) => {
        handle.state = 'done';
        resolve(result);
      },
      handle
    };
    this.#queue.push(task);
    this.#dispatch();
    return {
      jobId,
      done,
      get state() {
        return handle.state;
      },
      stop: () => this.#stop(task)
    };
  }

  /** Terminates the worker running a job, as a crash would (fault-injection for tests and operators). */
  async terminateJobWorker(jobId: string): Promise<boolean> {
    const slot = this.#slots.find((s) => s.task?.jobId === jobId);
    if (!slot) return false;
    await slot.worker.terminate();
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    for (const task of this.#queue.splice(0)) task.resolve(cancelled(task.jobId, 'worker pool closed'));
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #stop(task: Task): 'stopping' | 'cancelled' | 'done' {
    if (task.handle.state === 'done') return 'done';
    if (task.handle.state === 'queued') {
      this.#queue.splice(this.#queue.indexOf(task), 1);
      task.resolve(cancelled(task.jobId, 'stopped before it started'));
      return 'cancelled';
    }
    const slot = this.#slots.find((s) => s.task === task);
    slot?.worker.postMessage({ type: 'stop', jobId: task.jobId } satisfies ToWorker);
    return 'stopping';
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.task === null);
      if (!slot && this.#slots.length < this.#size) slot = this.#spawn();
      if (!slot) return;
      const task = this.#queue.shift()!;
      slot.task = task;
      slot.lastHeard = Date.now();
      task.handle.state = 'running';
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
      if (message.type === 'ready' || !task || message.jobId !== task.jobId) return;
      if (message.type === 'started' || message.type === 'episodes' || message.type === 'checkpoint') {
        task.onUpdate(message);
        return;
      }
      slot.task = null;
      task.resolve(message);
      this.#dispatch();
    });
    let failure: Error | null = null;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      const task = slot.task;
      slot.task = null;
      if (task) {
        const reason = slot.hung
          ? `no message for over ${this.#timeoutMs} ms; the watchdog terminated it`
          : failure
            ? `${failure.name}: ${failure.message}`
            : `exit code ${code}`;
        const message = slot.hung ? 'the training worker stopped responding and was replaced' : 'the training worker stopped unexpectedly';
        task.resolve({ type: 'failed', jobId: task.jobId, error: { name: 'WorkerCrashError', message, details: reason } });
      }
      if (!this.#closed) this.#dispatch();
    });
    return slot;
  }
}

function cancelled(jobId: string, reason: string): JobResult {
  return { type: 'failed', jobId, error: { name: 'JobCancelled', message: reason, details: reason } };
}
