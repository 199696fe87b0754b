import { JobCancelledError, type JobRunner } from './job-runner.js';

/** A job that no executor took within the wait allowed (e.g. no trainer is up). */
export class QueueTimeoutError extends Error {
  override name = 'QueueTimeoutError';
  constructor(readonly waitedMs: number) {
    super(`no executor took the job within ${waitedMs} ms`);
  }
}

/**
 * A runner whose jobs leave the queue after `timeoutMs` if no executor took them: their
 * outcome rejects with QueueTimeoutError. A job already running is not limited.
 */
export function withQueueTimeout(runner: JobRunner, timeoutMs: number): JobRunner {
  return {
    get hasIdleCapacity() {
      return runner.hasIdleCapacity;
    },
    submit(job, options = {}) {
      const abort = new AbortController();
      if (options.signal?.aborted) abort.abort();
      else options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
      let timedOut = false;
      const handle = runner.submit(job, { ...options, signal: abort.signal });
      const timer = setTimeout(() => {
        if (handle.state !== 'queued') return;
        timedOut = true;
        abort.abort();
      }, timeoutMs);
      const outcome = handle.outcome
        .catch((error: unknown) => {
          throw timedOut && error instanceof JobCancelledError ? new QueueTimeoutError(timeoutMs) : error;
        })
        .finally(() => clearTimeout(timer));
      return {
        jobId: handle.jobId,
        get state() {
          return handle.state;
        },
        outcome
      };
    },
    close: () => runner.close()
  };
}
