// Worker thread entry: renders reports. Imports nothing from Fastify.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { renderReport, type FromReportWorker, type ToReportWorker } from './report-job.js';

const port = parentPort;
if (!port) throw new Error('report-worker.ts must run in a worker thread');

// Below the event loop (0) so HTTP latency holds up on a busy machine, above training
// workers (19) so a report does not wait for CPU behind a training run.
try {
  setPriority(10);
} catch {
  // Not permitted here: reports still render, at normal priority.
}

port.on('message', ({ jobId, job }: ToReportWorker) => {
  renderReport(job).then(
    (content) => {
      // A fresh buffer (PDFKit's chunks may share a pool) that can be transferred, not copied.
      const bytes = new Uint8Array(content.byteLength);
      bytes.set(content);
      port.postMessage({ jobId, ok: true, bytes: bytes.buffer } satisfies FromReportWorker, [bytes.buffer]);
    },
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ jobId, ok: false, error: { name: err.name, message: err.message } } satisfies FromReportWorker);
    }
  );
});
