import { Worker } from 'node:worker_threads';
import { ServiceBusyError, ServiceError } from '../errors.js';
import type { FromReportWorker, ReportJob, ToReportWorker } from './report-job.js';

/** Turns a gathered report job into the file's bytes. */
export interface ReportRenderer {
  render(job: ReportJob): Promise<Buffer>;
}

export { ServiceBusyError };

interface Pending {
  jobId: number;
  job: ReportJob;
  resolve: (bytes: Buffer) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Pending | null;
  timer: NodeJS.Timeout | null;
  timedOut: boolean;
}

// From source (tests, scripts) the TypeScript entry is loaded through tsx; from dist, directly.
const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(fromSource ? './report-worker.ts' : './report-worker.js', import.meta.url);
const script = fromSource ? new URL('../training/worker-bootstrap.mjs', import.meta.url) : entry;

/**
 * Report rendering in worker threads of its own (started on first use), so a report never
 * runs on the event loop and never queues behind training. Jobs beyond the workers wait in
 * FIFO order; how many may wait is bounded by the service's admission (ReportService).
 * A worker that crashes or outlives the timeout is replaced and its job fails cleanly.
 */
export class ReportWorkers implements ReportRenderer {
  readonly size: number;
  readonly #timeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextJobId = 1;
  #closed = false;

  /** `timeoutMs`: a report still rendering after this long has its worker terminated (0: never). */
  constructor(options: { size: number; timeoutMs: number }) {
    this.size = options.size;
    this.#timeoutMs = options.timeoutMs;
  }

  render(job: ReportJob): Promise<Buffer> {
    if (this.#closed) return Promise.reject(shuttingDown());
    return new Promise<Buffer>((resolve, reject) => {
      this.#queue.push({ jobId: this.#nextJobId++, job, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) pending.reject(shuttingDown());
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot = this.#slots.find((s) => s.pending === null);
      if (!slot && this.#slots.length < this.size) slot = this.#spawn();
      if (!slot) return;
      const pending = this.#queue.shift()!;
      slot.pending = pending;
      if (this.#timeoutMs > 0) {
        const busy = slot;
        busy.timer = setTimeout(() => {
          busy.timedOut = true;
          void busy.worker.terminate();
        }, this.#timeoutMs);
      }
      const transfer = transferable(pending.job);
      slot.worker.postMessage({ jobId: pending.jobId, job: pending.job } satisfies ToReportWorker, transfer);
    }
  }

  #finish(slot: Slot): Pending | null {
    const pending = slot.pending;
    slot.pending = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    return pending;
  }

  #spawn(): Slot {
    const worker = new Worker(script, { workerData: { entry: entry.href } });
    const slot: Slot = { worker, pending: null, timer: null, timedOut: false };
    this.#slots.push(slot);
    worker.on('message', (message: FromReportWorker) => {
      if (slot.pending?.jobId !== message.jobId) return;
      const pending = this.#finish(slot)!;
      if (message.ok) pending.resolve(Buffer.from(message.bytes));
      else pending.reject(new ServiceError(500, 'HRL_REPORT_FAILED', `report rendering failed: ${message.error.name}: ${message.error.message}`));
      this.#dispatch();
    });
    let failure: Error | null = null;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      const pending = this.#finish(slot);
      if (pending) {
        pending.reject(
          slot.timedOut
            ? new ServiceBusyError('HRL_REPORT_TIMEOUT', `the report took longer than ${this.#timeoutMs} ms and was stopped`, 5)
            : this.#closed
              ? shuttingDown()
              : new ServiceError(500, 'HRL_REPORT_FAILED', `the report worker stopped unexpectedly (${failure ? `${failure.name}: ${failure.message}` : `exit code ${code}`})`)
        );
      }
      this.#dispatch();
    });
    return slot;
  }
}

/** The job's large buffers, moved to the worker instead of copied (a buffer shared with other data is copied once first). */
function transferable(job: ReportJob): ArrayBuffer[] {
  const own = (bytes: Uint8Array) => (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes));
  job.simulation_json = own(job.simulation_json);
  const buffers = [job.simulation_json.buffer as ArrayBuffer];
  if (job.model) buffers.push(job.model.reward_curve.buffer as ArrayBuffer);
  return buffers;
}

const shuttingDown = () => new ServiceBusyError('HRL_SHUTTING_DOWN', 'the service is shutting down', 5);
