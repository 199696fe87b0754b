// Runs the TypeScript worker entry when the service runs from source (tests, npm run dev):
// worker threads do not reliably inherit the parent's --import loader.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
